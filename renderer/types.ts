/** The types the renderer shares with main/ (type-only: nothing of main/ reaches the browser). */
export type {
  ActionView,
  AlertList,
  AlertView,
  ApiEvent,
  ApiInput,
  ApiMethod,
  ApiOutput,
  ApiResult,
  DiagnosticsView,
  EemsApiBridge,
  ExportFile,
  FeedVerificationView,
  HeartbeatView,
  MitigationView,
  Overview,
  PlanView,
  ServerView,
  Settings,
  SettingsUpdate,
  StepView,
} from '../main/api/eems-api.js';
export type { Alert, Diagnosis, OverallStatus, Severity, Verdict } from '../main/core/model.js';
