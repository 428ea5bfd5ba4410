// What the keyboard (and the buttons) do to the reviewer's boxes: add, select, delete, reset, and move
// or resize the selected one in steps of about half a percent of the image width.
import { clampBox } from './image-editor.js';

/** The model's boxes as editable boxes. */
export function modelBoxes(item) {
  return item.detections.map((d) => ({ ...d.box, label: d.label }));
}

export function boxActions({ detail, boxes, setBoxes, selectedBox, setSelectedBox, announce }) {
  const w = detail?.item.image.width ?? 1;
  const h = detail?.item.image.height ?? 1;
  const label = detail?.item.detections[0]?.label ?? 'scratch';
  return {
    label,
    step: Math.max(1, Math.round(w / 200)),
    editBox: (f) => {
      if (selectedBox < 0 || selectedBox >= boxes.length) return;
      setBoxes(boxes.map((b, i) => (i === selectedBox ? clampBox(f(b), w, h) : b)));
    },
    newBox: () => {
      if (!detail) return;
      const size = Math.round(Math.min(w, h) / 5);
      const box = { x: (w - size) / 2, y: (h - size) / 2, width: size, height: size, label };
      setBoxes([...boxes, clampBox(box, w, h)]);
      setSelectedBox(boxes.length);
      announce(`Box ${boxes.length + 1} added in the middle of the image.`);
    },
    nextBox: () => boxes.length && setSelectedBox((selectedBox + 1) % boxes.length),
    previousBox: () => boxes.length && setSelectedBox((selectedBox - 1 + boxes.length) % boxes.length),
    deleteBox: () => {
      if (selectedBox < 0) return;
      setBoxes(boxes.filter((_, i) => i !== selectedBox));
      announce(`Box ${selectedBox + 1} deleted.`);
      setSelectedBox(-1);
    },
    resetBoxes: () => {
      if (!detail) return;
      setBoxes(modelBoxes(detail.item));
      setSelectedBox(-1);
      announce("The model's boxes are back.");
    },
  };
}
