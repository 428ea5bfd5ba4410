// Every keyboard shortcut, once: the help overlay lists this table and the key handler reads it.
export const SHORTCUTS = [
  { keys: ['j', 'ArrowDown'], action: 'next', help: 'Next item in the list' },
  { keys: ['k', 'ArrowUp'], action: 'previous', help: 'Previous item in the list' },
  { keys: ['o'], action: 'ok', help: 'Decide ok (no defect, boxes cleared) and go to the next item' },
  { keys: ['d'], action: 'defect', help: 'Decide defect with the boxes as drawn and go to the next item' },
  { keys: ['a'], action: 'markPageOk', help: 'Mark all pending items on this page as ok' },
  { keys: ['u', 'Ctrl+z'], action: 'undo', help: 'Undo your last decision (or the last "mark all as ok")' },
  { keys: ['b'], action: 'newBox', help: 'Add a box in the middle of the image (then move and size it)' },
  { keys: ['Tab'], action: null, help: 'Move focus; a focused box is the selected box' },
  { keys: [']'], action: 'nextBox', help: 'Select the next box' },
  { keys: ['['], action: 'previousBox', help: 'Select the previous box' },
  { keys: ['Alt+ArrowKeys'], action: null, help: 'Move the selected box' },
  {
    keys: ['Alt+Shift+ArrowKeys'],
    action: null,
    help: 'Resize the selected box (right and down grow it, left and up shrink it)',
  },
  { keys: ['x', 'Delete'], action: 'deleteBox', help: 'Delete the selected box' },
  { keys: ['r'], action: 'resetBoxes', help: "Put the model's boxes back" },
  { keys: ['n', 'PageDown'], action: 'nextPage', help: 'Next page' },
  { keys: ['p', 'PageUp'], action: 'previousPage', help: 'Previous page' },
  { keys: ['f'], action: 'focusFilters', help: 'Go to the filters' },
  { keys: ['?'], action: 'help', help: 'Show or hide this help' },
  { keys: ['Escape'], action: 'escape', help: 'Close the help; leave a filter field; deselect the box' },
];

/** The action for a keydown event, or undefined. Typing in a form field never triggers one. */
export function actionFor(event) {
  const t = event.target;
  const tag = t?.tagName;
  if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || t?.isContentEditable) {
    return event.key === 'Escape' ? 'escape' : undefined;
  }
  if (event.metaKey) return undefined;
  if (event.altKey && event.key.startsWith('Arrow')) return event.shiftKey ? 'resizeBox' : 'moveBox';
  if (event.altKey) return undefined;
  const key = event.ctrlKey ? `Ctrl+${event.key.toLowerCase()}` : event.key;
  return SHORTCUTS.find((s) => s.keys.includes(key))?.action ?? undefined;
}
