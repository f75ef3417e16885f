// A method's scratch space in flow.private, parsed with its zod schema on every read: stored flow
// JSON is never trusted as-is, and a corrupt entry reads as none (the method starts over).
import type { z } from 'zod';
import type { Flow } from '../login/flow.ts';

export function scratchSpace<S extends z.ZodType>(key: string, schema: S) {
  const read = (flow: Flow): z.infer<S> | undefined => {
    const parsed = schema.safeParse(flow.private[key]);
    return parsed.success ? parsed.data : undefined;
  };
  return {
    schema,
    read,
    write(flow: Flow, value: z.infer<S>) {
      flow.private[key] = value;
    },
    /** Reads and deletes: single-use state can't be used twice, whatever happens next. */
    take(flow: Flow): z.infer<S> | undefined {
      const value = read(flow);
      delete flow.private[key];
      return value;
    },
    clear(flow: Flow) {
      delete flow.private[key];
    },
  };
}
