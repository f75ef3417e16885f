// Domain errors carry a stable namespaced code (shown as data-testid="message/<code>"),
// an HTTP status, and optionally the form field they belong to.
export class DomainError extends Error {
  readonly code: string;
  readonly status: number;
  readonly field?: string;
  constructor(code: string, message: string, options: { status?: number; field?: string } = {}) {
    super(message);
    this.code = code;
    this.status = options.status ?? 400;
    this.field = options.field;
  }
}

export function assertThat(condition: unknown, error: DomainError | (() => DomainError)): asserts condition {
  if (!condition) throw typeof error === 'function' ? error() : error;
}

/** One broken rule of a rule set, tied to a form field. */
export type RuleViolation = { field: string; code: string; message: string };

export class ValidationError extends DomainError {
  readonly violations: RuleViolation[];
  constructor(violations: RuleViolation[]) {
    super(violations[0]?.code ?? 'validation.failed', violations.map((v) => v.message).join(' '), { status: 400 });
    this.violations = violations;
  }
}
