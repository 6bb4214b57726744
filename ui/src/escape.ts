// Esc cancels the form or dialog opened last. A component that opens one registers
// its cancel while it is open; the newest registration wins.

const cancels: (() => void)[] = [];

/** Registers `cancel` for Esc; the returned function unregisters it. */
export function onEscape(cancel: () => void): () => void {
  cancels.push(cancel);
  return () => {
    const i = cancels.lastIndexOf(cancel);
    if (i >= 0) cancels.splice(i, 1);
  };
}

/** Installs the one Esc listener of the window. */
export function installEscape(): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== "Escape" || cancels.length === 0) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    cancels[cancels.length - 1]();
  };
  window.addEventListener("keydown", onKey, true);
  return () => window.removeEventListener("keydown", onKey, true);
}
