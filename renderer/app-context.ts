/** What every view gets from the app shell: the API, navigation, messages and the plan dialog. */
import type { ApiEvent, ApiInput, ApiMethod, ApiOutput, EemsApiBridge, Overview } from './types.js';

export interface AppContext {
  api: EemsApiBridge;
  /** Call a method; on failure the error is shown to the admin and null comes back. */
  call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M> | null>;
  /** The overview, fetched fresh (and shared with the header). */
  loadOverview(): Promise<Overview | null>;
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Render a view again if it is the one on screen (else on its next visit). */
  rerender(view: string): void;
  /** Open the removal plan of one mitigation on one server. */
  openRemoval(server: string, mitigation: string): Promise<void>;
  /** Open the plan that sets Set-OrganizationConfig -MitigationsEnabled $true. */
  openOrgReenable(): Promise<void>;
}

export interface View {
  name: string;
  title: string;
  /** Fill root; `param` is what follows "=" in the hash (#alert=<id>). */
  render(ctx: AppContext, root: HTMLElement, param: string | null): Promise<void>;
  /** Attach listeners once (root is the view's own container, kept across renders). */
  bind?(ctx: AppContext, root: HTMLElement): void;
  onEvent?(ctx: AppContext, root: HTMLElement, event: ApiEvent): void;
}
