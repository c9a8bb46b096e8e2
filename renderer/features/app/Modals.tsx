import type { ReactNode } from 'react';
import { useChat } from '../../state/store';
import { AddAccountDialog } from '../accounts/AddAccountDialog';
import { RemoveAccountDialog, UpdatePasswordDialog } from '../accounts/AccountDialogs';
import { EncryptionDialog } from '../accounts/EncryptionDialog';
import { AddContactDialog } from '../contacts/ContactsPanel';
import { JoinRoomDialog, MembersDialog, NewGroupDialog } from '../groups/GroupDialogs';

export function Modals(): ReactNode {
  const modal = useChat((s) => s.view.modal);
  const setView = useChat((s) => s.setView);
  const close = (): void => setView({ modal: null });
  if (!modal) return null;
  switch (modal.kind) {
    case 'addAccount': return <AddAccountDialog onClose={close} />;
    case 'updatePassword': return <UpdatePasswordDialog accountId={modal.accountId} onClose={close} />;
    case 'encryption': return <EncryptionDialog accountId={modal.accountId} onClose={close} />;
    case 'removeAccount': return <RemoveAccountDialog accountId={modal.accountId} onClose={close} />;
    case 'newGroup': return <NewGroupDialog onClose={close} />;
    case 'joinRoom': return <JoinRoomDialog onClose={close} />;
    case 'addContact': return <AddContactDialog onClose={close} />;
    case 'members': return <MembersDialog conversationId={modal.conversationId} onClose={close} />;
  }
}
