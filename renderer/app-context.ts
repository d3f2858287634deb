/** What every view gets from the app shell: the API, navigation, messages and the plan dialog. */
import type { ApiEvent, ApiInput, ApiMethod, ApiOutput, ApiResult, EemsApiBridge, Overview } from './types.js';

export interface AppContext {
  api: EemsApiBridge;
  /** Call a method; on failure the error is shown to the admin and null comes back. */
  call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M> | null>;
  /**
   * Call a method this build of the UI may not know by type (a plan method another part adds):
   * the server validates the input; the result is returned as is.
   */
  callByName(method: string, input: Record<string, unknown>): Promise<ApiResult<unknown>>;
  /**
   * The overview, fetched fresh (and shared with the header); with `maxAgeMs`, the one fetched
   * within that time is reused (the shell fetched it a moment ago to draw the header).
   */
  loadOverview(maxAgeMs?: number): Promise<Overview | null>;
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Render a view again if it is the one on screen (else on its next visit). */
  rerender(view: string): void;
  /** Open the removal plan of one mitigation on one server. */
  openRemoval(server: string, mitigation: string): Promise<void>;
  /** Open the plan that sets Set-OrganizationConfig -MitigationsEnabled $true. */
  openOrgReenable(): Promise<void>;
  /** Make a plan with any plan method (planRemoval, planStartService, ...) and open it in the dialog. */
  openPlan(method: string, input: Record<string, string>): Promise<void>;
}

export interface View {
  name: string;
  title: string;
  /** Fill root; `param` is what follows "=" in the hash (#alert=<id>, #server=<name>). */
  render(ctx: AppContext, root: HTMLElement, param: string | null): Promise<void>;
  /** Attach listeners once (root is the view's own container, kept across renders). */
  bind?(ctx: AppContext, root: HTMLElement): void;
  onEvent?(ctx: AppContext, root: HTMLElement, event: ApiEvent): void;
  /**
   * Called once the view was rendered because the admin navigated to it (not on re-renders after
   * an event): put the keyboard focus where work starts. Without it the view's heading gets it.
   */
  onShow?(root: HTMLElement, param: string | null): void;
}
