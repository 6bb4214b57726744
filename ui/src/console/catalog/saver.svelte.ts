// One record's save as every catalog screen does it: nothing sent when nothing
// changed, the button held while central answers, then a notice or the refusal
// in the UI language.
import { get } from "svelte/store";
import { ApiError, catalogApi, type Kind } from "../api";
import { t, problem } from "../i18n";

export class Saver {
  busy = $state(false);
  notice = $state("");
  error = $state("");

  constructor(private tenant: () => string) {}

  /** Clears what the last save said (a new form is opened). */
  reset(): void {
    this.notice = "";
    this.error = "";
  }

  /** Sends `fields` of the record; `saved` is the notice on success, `after`
   *  reloads what the screen shows, `refusals` words refusals by code. True when
   *  central took it. */
  async save(
    kind: Kind,
    id: string,
    fields: Record<string, unknown>,
    saved: string,
    after: () => Promise<void>,
    refusals: Record<string, string> = {},
  ): Promise<boolean> {
    this.reset();
    if (Object.keys(fields).length === 0) {
      this.notice = get(t)("nothingChanged");
      return false;
    }
    this.busy = true;
    try {
      await catalogApi.change(this.tenant(), [{ kind, id, fields }]);
      this.notice = saved;
      await after();
      return true;
    } catch (err) {
      // A refusal this screen words itself (a slug taken is not a SKU taken).
      const code = err instanceof ApiError ? err.code : "";
      this.error = refusals[code] ?? get(problem)(err);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
