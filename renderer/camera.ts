// The live camera: opened in the page (getUserMedia works the same in Electron and in a
// browser on the headless host) only while main asks for frames (`state.camera`), shown
// with a guide oval, and sent to main one JPEG at a time, the next only after the reply, at
// most ten a second. The <video> element lives across re-renders, so the picture does not
// flicker when the rest of the screen is rebuilt. No frame is kept here.
import type { CameraErrorCode, CameraPurpose, CameraWant, Lang, Params, Result } from '../main/api/contract.js';
import { h } from './dom.js';
import { strings } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const STORE_KEY = 'idkiosk.cameraId';
/** Frames at most this often: enough for a person adjusting, cheap for the matcher. */
const FRAME_MS = 100;
/** Frames wider than this are scaled down: the face gates are tuned for 640x480. */
const MAX_WIDTH = 640;

type Send = <M extends 'cameraFrame' | 'cameraError'>(method: M, params: Params<M>) => Promise<Result<M> | undefined>;

/** The camera chosen in Settings, kept in this browser profile (device ids are per origin, so main could not use one anyway). */
export function chosenCamera(): string | undefined {
  try {
    return localStorage.getItem(STORE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function chooseCamera(deviceId: string | undefined): void {
  try {
    if (deviceId) localStorage.setItem(STORE_KEY, deviceId);
    else localStorage.removeItem(STORE_KEY);
  } catch {
    // Storage refused (private profile): the default camera is used.
  }
}

export async function listCameras(): Promise<Array<{ deviceId: string; label: string }>> {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const all = await navigator.mediaDevices.enumerateDevices();
  return all.filter((d) => d.kind === 'videoinput').map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Camera ${i + 1}` }));
}

function errorCode(e: unknown): CameraErrorCode {
  const name = e instanceof DOMException ? e.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'CAMERA_DENIED';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'NoCameraError') return 'CAMERA_NONE';
  return 'CAMERA_FAILED';
}

function guide(): SVGElement {
  // The oval a face should fill, drawn over the picture; pointer-free and hidden from screen readers.
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 640 480');
  svg.setAttribute('class', 'guide');
  svg.setAttribute('aria-hidden', 'true');
  const oval = document.createElementNS(SVG, 'ellipse');
  for (const [k, v] of Object.entries({ cx: 320, cy: 230, rx: 120, ry: 160, class: 'guide-oval' })) oval.setAttribute(k, String(v));
  // The square a QR code should fill (shown instead of the oval while scanning).
  const square = document.createElementNS(SVG, 'rect');
  for (const [k, v] of Object.entries({ x: 200, y: 120, width: 240, height: 240, rx: 12, class: 'guide-square' })) square.setAttribute(k, String(v));
  // The band the MRZ lines should fill (passport page, back of the CCCD) while reading them.
  const band = document.createElementNS(SVG, 'rect');
  for (const [k, v] of Object.entries({ x: 30, y: 170, width: 580, height: 140, rx: 10, class: 'guide-mrz' })) band.setAttribute(k, String(v));
  svg.append(oval, square, band);
  return svg;
}

export class Camera {
  private readonly video: HTMLVideoElement;
  private readonly viewfinder: HTMLElement;
  private readonly canvas = document.createElement('canvas');
  private stream: MediaStream | undefined;
  private purpose: CameraPurpose | undefined;
  /** Bumped on every start/stop so a late getUserMedia or loop turn knows it is stale. */
  private token = 0;
  private label: string | undefined;
  /** Why the camera could not be opened, shown in the panel until the next try. */
  problem: CameraErrorCode | undefined;

  constructor(private readonly send: Send) {
    this.video = h('video', { class: 'live', autoplay: true, muted: true, playsinline: true, 'data-testid': 'camera-video' });
    this.video.muted = true;
    this.viewfinder = h('div', { class: 'viewfinder' }, this.video);
    this.viewfinder.append(guide());
  }

  get active(): boolean {
    return this.stream !== undefined;
  }

  /** Follows main's wish: open for a purpose, close when it is gone. Called on every state. */
  sync(want: CameraWant | undefined): void {
    if (want?.purpose === this.purpose) return;
    this.stop();
    if (want) void this.start(want.purpose);
  }

  stop(): void {
    this.token++;
    this.purpose = undefined;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = undefined;
    this.video.srcObject = null;
    this.render();
  }

  private async start(purpose: CameraPurpose): Promise<void> {
    const token = ++this.token;
    this.purpose = purpose;
    this.problem = undefined;
    let stream: MediaStream;
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new DOMException('no media devices', 'NotFoundError');
      const id = chosenCamera();
      // `ideal`, not `exact`: a camera unplugged since it was chosen falls back to another rather than to none.
      stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: { width: { ideal: 640 }, height: { ideal: 480 }, ...(id ? { deviceId: { ideal: id } } : {}) } });
    } catch (e) {
      if (token !== this.token) return;
      this.problem = errorCode(e);
      this.render();
      void this.send('cameraError', { purpose, code: this.problem });
      return;
    }
    if (token !== this.token) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    this.stream = stream;
    this.label = stream.getVideoTracks()[0]?.label || undefined;
    this.video.srcObject = stream;
    this.resume();
    this.render();
    void this.loop(token, purpose);
  }

  /** Re-inserting the video after a re-render pauses it (HTML media rules): play again. */
  resume(): void {
    if (this.stream && this.video.isConnected && this.video.paused) void this.video.play().catch(() => undefined);
  }

  private async grab(): Promise<string | undefined> {
    const v = this.video;
    if (v.readyState < 2 || v.videoWidth === 0) return undefined;
    const scale = Math.min(1, MAX_WIDTH / v.videoWidth);
    this.canvas.width = Math.round(v.videoWidth * scale);
    this.canvas.height = Math.round(v.videoHeight * scale);
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return undefined;
    ctx.drawImage(v, 0, 0, this.canvas.width, this.canvas.height);
    const url = this.canvas.toDataURL('image/jpeg', 0.85);
    return url.slice(url.indexOf(',') + 1);
  }

  private async loop(token: number, purpose: CameraPurpose): Promise<void> {
    while (token === this.token) {
      const started = performance.now();
      const jpeg = await this.grab();
      if (token !== this.token) return;
      if (jpeg) {
        const r = await this.send('cameraFrame', { purpose, jpeg, ...(this.label ? { device: this.label.slice(0, 120) } : {}) });
        // Main no longer wants frames: the state event that says so stops the stream.
        if (r && !r.more) return;
      }
      await new Promise((res) => setTimeout(res, Math.max(10, FRAME_MS - (performance.now() - started))));
    }
  }

  private prompt: { code: string; text: string } | undefined;
  private readonly promptEl = h('p', { class: 'camera-prompt', role: 'status', 'aria-live': 'polite', 'data-testid': 'camera-prompt' });
  private readonly problemEl = h('p', { class: 'error camera-problem', role: 'alert', 'data-testid': 'camera-problem' });
  private lang: Lang = 'vi';
  private figure: HTMLElement | undefined;

  /** Updates the words without rebuilding the panel (prompts change several times a second). */
  private render(): void {
    const t = strings(this.lang);
    this.promptEl.textContent = this.prompt?.text ?? (this.purpose === 'qr' ? t.cameraQrHint : this.purpose === 'mrz' ? t.cameraMrzHint : t.cameraLookHint);
    this.promptEl.dataset.code = this.prompt?.code ?? '';
    this.problemEl.hidden = !this.problem;
    this.problemEl.dataset.code = this.problem ?? '';
    this.problemEl.textContent = this.problem ? t.cameraProblem[this.problem] : '';
    this.viewfinder.hidden = !!this.problem;
    if (this.figure) {
      this.figure.dataset.active = this.active ? 'true' : 'false';
      this.figure.dataset.purpose = this.purpose ?? '';
    }
  }

  /** The live panel: video with the guide, the prompt for the person, or why there is no camera. */
  panel(lang: Lang, want: CameraWant | undefined): HTMLElement {
    this.lang = lang;
    this.prompt = want?.prompt ? { code: want.prompt.code, text: want.prompt.messages[lang] } : undefined;
    this.render();
    const t = strings(lang);
    this.figure = h('figure', { class: 'photo camera live-camera', 'data-testid': 'camera', 'data-active': this.active ? 'true' : 'false', 'data-purpose': want?.purpose ?? '' }, this.viewfinder, this.problemEl, this.promptEl, h('figcaption', {}, t.cameraLive));
    return this.figure;
  }

  /** A prompt changed but nothing else: only the words move. */
  update(lang: Lang, want: CameraWant | undefined): void {
    this.lang = lang;
    this.prompt = want?.prompt ? { code: want.prompt.code, text: want.prompt.messages[lang] } : undefined;
    this.render();
  }
}
