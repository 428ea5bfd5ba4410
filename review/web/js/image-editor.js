// The image with the model's boxes (dashed, for reference) and the reviewer's boxes (solid, editable):
// drag on the image to draw a box, drag a box to move it, drag a corner to resize it. Pointer events,
// so mouse, pen and touch (a tablet) work alike. Coordinates are image pixels: the SVG's viewBox is
// the image size, so no conversion is stored anywhere.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';

const MIN_SIZE_PX = 4;
const CORNERS = ['nw', 'ne', 'sw', 'se'];

function round(n) {
  return Math.round(n * 10) / 10;
}

export function clampBox(b, w, h) {
  const x = Math.min(Math.max(0, b.x), w - MIN_SIZE_PX);
  const y = Math.min(Math.max(0, b.y), h - MIN_SIZE_PX);
  const width = Math.min(Math.max(MIN_SIZE_PX, b.width), w - x);
  const height = Math.min(Math.max(MIN_SIZE_PX, b.height), h - y);
  return { ...b, x: round(x), y: round(y), width: round(width), height: round(height) };
}

function fromCorners(x1, y1, x2, y2, label) {
  return { x: Math.min(x1, x2), y: Math.min(y1, y2), width: Math.abs(x2 - x1), height: Math.abs(y2 - y1), label };
}

function resized(b, corner, p) {
  const x2 = b.x + b.width;
  const y2 = b.y + b.height;
  const nx = corner.includes('w') ? p.x : b.x;
  const ny = corner.includes('n') ? p.y : b.y;
  const ex = corner.includes('e') ? p.x : x2;
  const ey = corner.includes('s') ? p.y : y2;
  return fromCorners(nx, ny, ex, ey, b.label);
}

function describeBox(b, i) {
  return `Box ${i + 1}, ${b.label}, at ${Math.round(b.x)}, ${Math.round(b.y)}, ${Math.round(b.width)} by ${Math.round(b.height)} pixels`;
}

export function ImageEditor({ item, imageUrl, boxes, onBoxes, selected, onSelect, label }) {
  const svg = useRef(null);
  const drag = useRef(null);
  const [draft, setDraft] = useState(null);
  const [pxPerScreenPx, setScale] = useState(1);
  const { width: w, height: h } = item.image;

  useEffect(() => {
    const el = svg.current;
    if (!el) return undefined;
    const update = () => setScale(w / Math.max(1, el.getBoundingClientRect().width));
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, [w]);

  const coarse = typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;
  const handle = (coarse ? 22 : 12) * pxPerScreenPx;

  const point = (e) => {
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(svg.current.getScreenCTM().inverse());
    return { x: Math.min(Math.max(0, p.x), w), y: Math.min(Math.max(0, p.y), h) };
  };

  const onPointerDown = (e) => {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    const p = point(e);
    const target = e.target.closest('[data-handle], [data-box]');
    const index = target ? Number(target.closest('[data-box]').dataset.box) : -1;
    if (target?.dataset.handle) {
      drag.current = { mode: 'resize', index, corner: target.dataset.handle, start: p, orig: boxes[index] };
    } else if (index >= 0) {
      drag.current = { mode: 'move', index, start: p, orig: boxes[index] };
    } else {
      drag.current = { mode: 'draw', start: p };
    }
    if (index >= 0) onSelect(index);
    svg.current.setPointerCapture(e.pointerId);
    e.preventDefault();
  };

  const onPointerMove = (e) => {
    const d = drag.current;
    if (!d) return;
    const p = point(e);
    if (d.mode === 'draw') {
      setDraft(fromCorners(d.start.x, d.start.y, p.x, p.y, label));
    } else {
      const next =
        d.mode === 'move'
          ? { ...d.orig, x: d.orig.x + p.x - d.start.x, y: d.orig.y + p.y - d.start.y }
          : resized(d.orig, d.corner, p);
      onBoxes(boxes.map((b, i) => (i === d.index ? clampBox(next, w, h) : b)));
    }
  };

  const onPointerUp = (e) => {
    const d = drag.current;
    drag.current = null;
    if (svg.current.hasPointerCapture(e.pointerId)) svg.current.releasePointerCapture(e.pointerId);
    if (d?.mode !== 'draw') return;
    const p = point(e);
    const b = fromCorners(d.start.x, d.start.y, p.x, p.y, label);
    setDraft(null);
    if (b.width < MIN_SIZE_PX || b.height < MIN_SIZE_PX) {
      onSelect(-1);
      return;
    }
    onBoxes([...boxes, clampBox(b, w, h)]);
    onSelect(boxes.length);
  };

  const stroke = 2 * pxPerScreenPx;
  return html`
    <figure class="editor">
      <svg
        ref=${svg}
        class="stage"
        viewBox=${`0 0 ${w} ${h}`}
        role="group"
        aria-label=${`Image ${item.image.file}, ${w} by ${h} pixels, ${boxes.length} box(es). Drag to draw a box.`}
        onPointerDown=${onPointerDown}
        onPointerMove=${onPointerMove}
        onPointerUp=${onPointerUp}
        onPointerCancel=${onPointerUp}
      >
        ${
          imageUrl
            ? html`<image href=${imageUrl} x="0" y="0" width=${w} height=${h} preserveAspectRatio="none" />`
            : html`<rect class="missing" x="0" y="0" width=${w} height=${h} /><text x=${w / 2} y=${h / 2} class="missing-text" font-size=${24 * pxPerScreenPx} text-anchor="middle">Image missing from the store</text>`
        }
        ${item.detections.map(
          (d) =>
            html`<rect class="model-box" x=${d.box.x} y=${d.box.y} width=${d.box.width} height=${d.box.height} stroke-width=${stroke} stroke-dasharray=${`${6 * pxPerScreenPx} ${4 * pxPerScreenPx}`} />`,
        )}
        ${boxes.map(
          (b, i) => html`
            <g
              class=${`box${i === selected ? ' selected' : ''}`}
              data-box=${i}
              tabindex="0"
              role="button"
              aria-pressed=${i === selected ? 'true' : 'false'}
              aria-label=${describeBox(b, i)}
              onFocus=${() => onSelect(i)}
            >
              <rect x=${b.x} y=${b.y} width=${b.width} height=${b.height} stroke-width=${stroke * (i === selected ? 1.5 : 1)} />
              ${
                i === selected &&
                CORNERS.map((c) => {
                  const cx = c.includes('w') ? b.x : b.x + b.width;
                  const cy = c.includes('n') ? b.y : b.y + b.height;
                  return html`<rect class="handle" data-handle=${c} x=${cx - handle / 2} y=${cy - handle / 2} width=${handle} height=${handle} />`;
                })
              }
            </g>
          `,
        )}
        ${draft && html`<rect class="draft" x=${draft.x} y=${draft.y} width=${draft.width} height=${draft.height} stroke-width=${stroke} />`}
      </svg>
      <figcaption>
        ${`${item.image.file} · ${item.thingName} · captured ${new Date(item.capturedAt).toLocaleString()} · model ${item.model.name}@${item.model.version} said `}
        <strong>${item.modelVerdict}</strong>
        ${` (${item.detections.length} box(es), dashed) · your boxes: ${boxes.length} (solid)`}
      </figcaption>
    </figure>
  `;
}
