// The keyboard: one keydown listener for the page, mapping keys to the app's actions (shortcuts.js)
// and Alt+arrows to moving or resizing the selected box.
import { useEffect, useRef } from 'preact/hooks';
import { actionFor } from './shortcuts.js';

const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

/** `state.actions[name]()` for each shortcut; `state.editBox(f)` changes the selected box; `step` in px. */
export function useShortcuts(state) {
  const latest = useRef(state);
  latest.current = state;
  useEffect(() => {
    const onKey = (e) => {
      const name = actionFor(e);
      if (!name) return;
      // Escape in a form field leaves it, so that the shortcuts work again.
      if (name === 'escape' && e.target instanceof HTMLElement && e.target.closest('form')) {
        e.target.blur();
        return;
      }
      // While the help dialog is open only ? and Escape act (the dialog handles Escape itself).
      if (document.querySelector('dialog[open]') && name !== 'help') return;
      const { actions, editBox, step } = latest.current;
      if (name === 'moveBox' || name === 'resizeBox') {
        const [dx, dy] = ARROWS[e.key] ?? [0, 0];
        editBox((b) =>
          name === 'moveBox'
            ? { ...b, x: b.x + dx * step, y: b.y + dy * step }
            : { ...b, width: b.width + dx * step, height: b.height + dy * step },
        );
      } else {
        actions[name]?.();
      }
      e.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}
