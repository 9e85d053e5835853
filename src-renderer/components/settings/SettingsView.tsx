import { ContactSettings } from './ContactSettings.js';
import { DeviceNameSettings } from './DeviceNameSettings.js';
import { ManualPeerSettings } from './ManualPeerSettings.js';
import { ModeSettings } from './ModeSettings.js';
import { WideAreaSettings } from './WideAreaSettings.js';
import { NetworkCheckSettings } from './NetworkCheckSettings.js';
import { TrustedIssuerSettings } from './TrustedIssuerSettings.js';

export function SettingsView() {
  return (
    <div className="settings">
      <ModeSettings />
      <DeviceNameSettings />
      <ManualPeerSettings />
      <WideAreaSettings />
      <ContactSettings />
      <TrustedIssuerSettings />
      <NetworkCheckSettings />
    </div>
  );
}
