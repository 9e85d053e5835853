import { InvitationList } from './InvitationList.js';
import { LibraryList } from './LibraryList.js';

/** Libraries (issue 13): invitations waiting, then our libraries with who is in each and nearby. */
export function LibrariesView() {
  return (
    <div className="libraries">
      <InvitationList />
      <LibraryList />
    </div>
  );
}
