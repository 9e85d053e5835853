import { ContactSettings } from './ContactSettings.js';
import { DeviceNameSettings } from './DeviceNameSettings.js';
import { LibrarySettings } from './LibrarySettings.js';
import { ManualPeerSettings } from './ManualPeerSettings.js';
import { ModeSettings } from './ModeSettings.js';
import { NetworkCheckSettings } from './NetworkCheckSettings.js';

export function SettingsView() {
  return (
    <div className="settings">
      <ModeSettings />
      <DeviceNameSettings />
      <LibrarySettings />
      <ManualPeerSettings />
      <ContactSettings />
      <NetworkCheckSettings />
    </div>
  );
}
