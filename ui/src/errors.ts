// Errors worded for people, in the UI language. The texts live in errors.json, keyed
// by the error codes the Rust side returns; a test in the app crate finds every code
// in the source and fails on one without a plain sentence in every language.
import { derived } from "svelte/store";
import { lang } from "./i18n";
import { money, CommandError, type ApiError, type ApiFieldError } from "./api";
import texts from "./errors.json";

type Texts = {
  errors: Record<string, string>; fields: Record<string, string>; labels: Record<string, string>; sync: Record<string, string>;
};
const all = texts as Record<string, Texts>;

/** `{name}` and `{name:money}` (minor units) filled from the error's params. */
function fill(text: string, params: { [name: string]: string | undefined } = {}): string {
  return text.replace(/\{(\w+)(?::(\w+))?\}/g, (_, name: string, kind?: string) => {
    const v = params[name] ?? "";
    return kind === "money" && v !== "" && Number.isFinite(Number(v)) ? money(Number(v)) : v;
  });
}

/** `payments[0].tendered` → `tendered`. */
function fieldName(path: string): string {
  const last = path.split(".").pop() ?? path;
  return last.split("[")[0];
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export interface Explain {
  /** The whole error as one or more sentences. */
  (e: unknown): string;
  /** One field's error, without its label (for a message beside the field). */
  field(fe: ApiFieldError | undefined): string;
  /** Why the last exchange with central failed, by its kind. */
  sync(kind: string): string;
}

export const explain = derived(lang, (l): Explain => {
  const T = all[l] ?? all.en;
  const body = (fe: ApiFieldError) => {
    const text = T.fields[`${fe.code}@${fieldName(fe.field)}`] ?? T.fields[fe.code];
    return capital(text ? fill(text, fe.params) : fe.message);
  };
  const labelled = (fe: ApiFieldError) => {
    const label = T.labels[fieldName(fe.field)];
    return label ? `${label}: ${body(fe).charAt(0).toLowerCase()}${body(fe).slice(1)}` : body(fe);
  };
  const whole = (e: unknown): string => {
    const err: ApiError | undefined = e instanceof CommandError ? e.error : (e as ApiError);
    if (!err || typeof err.code !== "string") return T.errors.storage;
    if (err.code === "validation" && err.fields?.length) return err.fields.map(labelled).join(" ");
    const text = T.errors[err.code];
    return text ? fill(text, err.params) : err.message;
  };
  return Object.assign(whole, {
    field: (fe: ApiFieldError | undefined) => (fe ? body(fe) : ""),
    sync: (kind: string) => T.sync[kind] ?? kind,
  });
});
