// Where the core runs. First version: in-process in the Electron main process. The target design
// is an Electron utilityProcess (crash isolation); that change is local to this module: it only
// has to return a CoreApi (a proxy over a MessagePort) instead of the core itself.
import type { CoreApi, SecretStore } from '../core/host-api';
import { createCore } from '../core/core';
import { createXmppAdapter } from '../../protocols/xmpp/index';

export interface CoreBridgeOptions {
  readonly profileDir: string;
  readonly secrets: SecretStore;
}

export function startCoreInProcess(opts: CoreBridgeOptions): CoreApi {
  return createCore({ profileDir: opts.profileDir, secrets: opts.secrets, adapters: { xmpp: createXmppAdapter } });
}
