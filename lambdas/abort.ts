/**
 * Aborts `controller` when `parent` aborts, with the parent's reason (at once if it already has); returns the unlink,
 * to call when the child's work is over. The per-turn alternative to `AbortSignal.any`, whose weak references and
 * finalizers outlive the turn and add to every garbage collection.
 */
export function followAbort(parent: AbortSignal | undefined, controller: AbortController): () => void {
  if (!parent) return () => undefined;
  if (parent.aborted) {
    controller.abort(parent.reason);
    return () => undefined;
  }
  const abort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', abort, { once: true });
  return () => parent.removeEventListener('abort', abort);
}
