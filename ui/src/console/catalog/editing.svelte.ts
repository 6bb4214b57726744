// Whether a catalog form holds changes not saved yet: leaving the page then asks
// first (the browser's own prompt), and so does switching the catalog's tab.
export const editing = $state({ dirty: false });

window.addEventListener("beforeunload", (e) => {
  if (editing.dirty) e.preventDefault();
});

/** True when nothing unsaved would be lost, or the person agrees to lose it. */
export function mayLeave(question: string): boolean {
  if (!editing.dirty || confirm(question)) {
    editing.dirty = false;
    return true;
  }
  return false;
}

/** Tracks a form against the state it was opened with; call in a component's
 *  script (its effect ends with the component). */
export function trackDirty(current: () => unknown, opened: () => string): void {
  $effect(() => {
    const now = current();
    editing.dirty = now !== null && now !== undefined && JSON.stringify(now) !== opened();
    return () => {
      editing.dirty = false;
    };
  });
}
