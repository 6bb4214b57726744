// One record's save as every catalog screen does it: nothing sent when nothing
// changed, the button held while central answers, then a notice or the refusal
// in the UI language.
import { get } from "svelte/store";
import { catalogApi, type Kind } from "../api";
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
   *  reloads what the screen shows. True when central took it. */
  async save(kind: Kind, id: string, fields: Record<string, unknown>, saved: string, after: () => Promise<void>): Promise<boolean> {
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
      this.error = get(problem)(err);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
