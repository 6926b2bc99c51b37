// Settings behind the operator PIN: counter type, self-service time-out, station name, PIN.
import type { Profile } from '../main/api/contract.js';
import type { AppContext } from './context.js';
import { chooseCamera, chosenCamera, listCameras } from './camera.js';
import { h } from './dom.js';
import { strings } from './i18n.js';
import { trustSection } from './trust-view.js';

const PROFILES: Profile[] = ['airport', 'residence', 'hospital', 'self-service'];

/** The operator PIN, asked before settings and history; the session it opens serves both. */
export function pinScreen(app: AppContext, testId: string): HTMLElement {
  const t = strings(app.settings.lang);
  const pin = h('input', { id: 'pin', type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: 12, 'data-testid': 'pin', 'aria-describedby': 'pin-invalid' });
  const invalid = h('p', { class: 'error field-error', role: 'alert', id: 'pin-invalid', hidden: true });
  app.focusAfterRender = pin;
  return h(
    'main',
    { class: 'settings', id: 'main', 'data-testid': testId },
    h(
      'form',
      {
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          if (!/^\d{4,12}$/.test(pin.value)) {
            invalid.textContent = t.pinInvalid;
            invalid.hidden = false;
            pin.focus();
            return;
          }
          void app.call('unlockSettings', { pin: pin.value }).then((r) => {
            if (!r) return;
            app.settingsSession = r.session;
            app.render(true);
          });
        },
      },
      h('label', { for: 'pin' }, t.pinLabel),
      pin,
      invalid,
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'unlock' }, t.unlock),
    ),
  );
}

/** A labelled control on one line of a settings form. */
function row(label: string, id: string, el: HTMLElement): HTMLElement {
  return h('div', { class: 'form-row' }, h('label', { for: id }, label), el);
}

export function settingsView(app: AppContext): HTMLElement {
  const lang = app.settings.lang;
  const t = strings(lang);
  const session = app.settingsSession;
  if (!session) return pinScreen(app, 'settings');
  const s = app.settings;
  const profile = h('select', { id: 'profile', 'data-testid': 'profile-select' }, ...PROFILES.map((p) => h('option', { value: p, selected: p === s.profile }, t.profileNames[p])));
  const idle = h('input', { id: 'idle', type: 'number', min: 5, max: 600, value: s.idleSeconds });
  const station = h('input', { id: 'station', maxlength: 60, value: s.station });
  const sound = h('input', { id: 'sound', type: 'checkbox', checked: s.sound, 'data-testid': 'sound' });
  // The local identity service (docs/integration.md): off unless a port is set here or on the command line.
  const apiPort = h('input', { id: 'api-port', type: 'number', min: 1024, max: 65535, value: s.apiPort ?? undefined, 'data-testid': 'api-port' });
  const sharePhoto = h('input', { id: 'share-photo', type: 'checkbox', checked: s.sharePhoto === true, 'data-testid': 'share-photo' });
  const newPin = h('input', { id: 'new-pin', type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: 12 });
  const saved = h('p', { role: 'status', 'data-testid': 'saved' }, app.notice ?? '');
  const invalid = h('p', { class: 'error field-error', role: 'alert', 'data-testid': 'settings-invalid', hidden: true });
  const fail = (text: string, el: HTMLInputElement): void => {
    invalid.textContent = text;
    invalid.hidden = false;
    el.setAttribute('aria-invalid', 'true');
    el.focus();
  };
  const cameraNote = h('p', { class: 'hint', role: 'status', 'data-testid': 'camera-note' });
  const camera = cameraSelect(app, cameraNote);
  return h(
    'main',
    { class: 'settings', id: 'main', 'data-testid': 'settings' },
    h(
      'form',
      {
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          const seconds = Number(idle.value);
          if (!Number.isInteger(seconds) || seconds < 5 || seconds > 600) return fail(t.idleInvalid, idle);
          if (station.value.trim() === '') return fail(t.stationInvalid, station);
          const port = apiPort.value === '' ? null : Number(apiPort.value);
          if (port !== null && (!Number.isInteger(port) || port < 1024 || port > 65535)) return fail(t.apiPortInvalid, apiPort);
          if (newPin.value && !/^\d{4,12}$/.test(newPin.value)) return fail(t.pinInvalid, newPin);
          void app
            .call('updateSettings', {
              session,
              profile: profile.value as Profile,
              idleSeconds: seconds,
              station: station.value,
              sound: sound.checked,
              apiPort: port,
              sharePhoto: sharePhoto.checked,
              ...(newPin.value ? { newPin: newPin.value } : {}),
            })
            .then((r) => {
              if (!r) return;
              // The settings event redraws this screen; the notice survives it.
              app.notice = t.saved;
              app.render(true);
            });
        },
      },
      row(t.profile, 'profile', profile),
      row(t.idleSeconds, 'idle', idle),
      row(t.stationName, 'station', station),
      h('div', { class: 'check-row' }, sound, h('label', { for: 'sound' }, t.soundSetting)),
      row(t.apiPort, 'api-port', apiPort),
      row(t.sharePhoto, 'share-photo', sharePhoto),
      row(t.newPin, 'new-pin', newPin),
      row(t.cameraSetting, 'camera-select', camera),
      cameraNote,
      invalid,
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'save' }, t.save),
      saved,
    ),
    syncForm(app, session),
    trustSection(app, session),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          void app.call('lockSettings', { session });
          app.settingsSession = undefined;
          app.go('desk');
        },
      },
      t.lock,
    ),
  );
}

/**
 * The camera for face checks and QR scans. Kept in this browser profile, not in main's
 * settings: device ids are per origin, only the page that asked can use one.
 */
function cameraSelect(app: AppContext, note: HTMLElement): HTMLSelectElement {
  const t = strings(app.settings.lang);
  const select = h('select', { id: 'camera-select', 'data-testid': 'camera-select' }, h('option', { value: '' }, t.cameraDefault));
  select.addEventListener('change', () => {
    chooseCamera(select.value || undefined);
    note.textContent = t.cameraChosen;
  });
  void listCameras().then(
    (cams) => {
      const current = chosenCamera();
      for (const c of cams) select.append(h('option', { value: c.deviceId, selected: c.deviceId === current }, c.label));
      if (cams.length === 0) note.textContent = t.cameraNoneFound;
    },
    () => (note.textContent = t.cameraNoneFound),
  );
  return select;
}

/**
 * Where verifications are forwarded. A form of its own: the token is a secret needed once per
 * server, so it is sent only with this button and never shown back.
 */
function syncForm(app: AppContext, session: string): HTMLElement {
  const t = strings(app.settings.lang);
  const url = h('input', { id: 'sync-url', type: 'url', inputmode: 'url', autocomplete: 'off', placeholder: 'https://', maxlength: 308, required: true, 'data-testid': 'sync-url' });
  const token = h('input', { id: 'sync-token', type: 'password', autocomplete: 'off', maxlength: 200, 'data-testid': 'sync-token' });
  const current = h('p', { 'data-testid': 'sync-current' }, `${t.syncServer}: …`);
  const show = (server: string | null | undefined) => (current.textContent = `${t.syncServer}: ${server ?? t.syncNone}`);
  void app.peek('status', {}).then((s) => s && show(s.store.available ? s.store.server : null));
  return h(
    'form',
    {
      'data-testid': 'sync-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void app.call('setSyncServer', { session, url: url.value.trim(), ...(token.value ? { token: token.value } : {}) }).then((r) => {
          token.value = '';
          if (!r) return;
          show(r.server);
          // Clearing the error toast redraws the screen; the notice survives that, as the main form's does.
          app.notice = t.syncSaved;
          app.render(true);
        });
      },
    },
    current,
    row(t.syncServer, 'sync-url', url),
    row(t.syncToken, 'sync-token', token),
    h('button', { type: 'submit', class: 'secondary', 'data-testid': 'sync-save' }, t.syncSave),
  );
}
