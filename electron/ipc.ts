/**
 * The IPC bridge of the main process: one `ipcMain.handle` per contract request, served only to the app's own
 * page, and every app event forwarded to the window.
 */
import type { IpcMain, WebContents } from 'electron';
import type { AppContext } from '../core/app/context.ts';
import type { IpcOutcome, RequestName } from '../core/shared/contract.ts';
import { dispatch, type HandlerTable } from '../core/shared/validate.ts';
import { eventChannel, REQUEST_NAMES, requestChannel } from './channels.ts';
import { isAppUrl, isTrustedSender } from './security.ts';

function refused(name: RequestName): IpcOutcome<never> {
  const problem = `${name} refused: the request did not come from the app's own page`;
  return { ok: false, error: { code: 'invalid-request', message: problem, file: null, problem, issues: [] } };
}

/**
 * Registers the handlers; `onSuccess` hears of each request that succeeded (the shell refreshes its recent
 * folders menu after `folders.open`). Returns the function that removes the handlers again.
 */
export function registerIpc(
  ipcMain: IpcMain,
  handlers: HandlerTable<AppContext>,
  ctx: AppContext,
  onSuccess: (name: RequestName) => void = () => undefined,
): () => void {
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(requestChannel(name), async (event, payload: unknown) => {
      if (!isTrustedSender(event.senderFrame?.url)) return refused(name);
      const outcome = await dispatch(handlers, name, payload, ctx);
      if (outcome.ok) onSuccess(name);
      return outcome;
    });
  }
  return () => {
    for (const name of REQUEST_NAMES) ipcMain.removeHandler(requestChannel(name));
  };
}

/**
 * Sends every app event to `contents` while it shows the app's page, until it is destroyed; returns the
 * unsubscribe function.
 */
export function forwardEvents(ctx: AppContext, contents: WebContents): () => void {
  const unsubscribe = ctx.subscribe(({ event, payload }) => {
    if (!contents.isDestroyed() && isAppUrl(contents.getURL())) contents.send(eventChannel(event), payload);
  });
  contents.once('destroyed', unsubscribe);
  return unsubscribe;
}
