// How numbers read in the UI language: "12.50" in English, "12,50" in Russian.
// Reactive state, so every amount on screen changes with the language switch.
export const numberFormat = $state({ separator: "." });
