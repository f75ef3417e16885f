// What a login step contributes (steps/*.ts; federation's steps too): the page of its flow step,
// its routes (short pipelines, see pipeline.ts), and optionally a part of the sign-in page or a
// check before the login completes.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { FlowStep } from './flow.ts';
import type { LoadedFlow, LoginEngine } from './engine.ts';

export type LoginStep = {
  /** The flow step whose page this renders ('consent' when the provider asks for consent). */
  step?: FlowStep | 'consent';
  /** Writes the step's page (status and type are set by the engine). */
  render?(ctx: Context, s: LoadedFlow, engine: LoginEngine): Promise<void>;
  /** Mounts the step's routes on the /interaction router. */
  routes?(router: Router, engine: LoginEngine): void;
  /** More for the sign-in page (e.g. IdP buttons), or null when it answered the request itself (a redirect). */
  signInPage?(ctx: Context, s: LoadedFlow, engine: LoginEngine): Promise<Record<string, unknown> | null>;
  /** Runs before any login completes (e.g. links the profile just proven); throws a DomainError to stop it. */
  beforeComplete?(ctx: Context, s: LoadedFlow, engine: LoginEngine): Promise<void>;
};
