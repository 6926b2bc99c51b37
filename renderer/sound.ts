// Short tones when a decision appears, so a clerk looking at the person hears it: rising for
// accept, a level double beep for review, low and rough for reject. Generated with WebAudio
// (no sound files to ship or load); off when the setting says so. Browsers start audio only
// after a user gesture, so the context is resumed on the first touch or key.
import type { Decision } from '../main/api/contract.js';

/** Frequencies (Hz), durations (s) and wave of each cue; distinct in pitch and rhythm. */
export const CUES: Record<Decision, { wave: OscillatorType; notes: Array<{ hz: number; s: number }> }> = {
  accept: { wave: 'sine', notes: [{ hz: 660, s: 0.11 }, { hz: 990, s: 0.16 }] },
  review: { wave: 'triangle', notes: [{ hz: 520, s: 0.13 }, { hz: 520, s: 0.13 }] },
  reject: { wave: 'square', notes: [{ hz: 196, s: 0.45 }] },
};

let ctx: AudioContext | undefined;
let armed = false;

function context(): AudioContext | undefined {
  if (typeof AudioContext === 'undefined') return undefined;
  ctx ??= new AudioContext();
  if (!armed) {
    armed = true;
    for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, () => void ctx?.resume(), { capture: true });
  }
  return ctx;
}

export function playCue(decision: Decision): void {
  const ac = context();
  if (!ac) return;
  const cue = CUES[decision];
  let t = ac.currentTime + 0.02;
  for (const n of cue.notes) {
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    osc.type = cue.wave;
    osc.frequency.value = n.hz;
    // A quick fade in and out: no click at either end.
    gain.gain.setValueAtTime(0, t);
    gain.gain.linearRampToValueAtTime(0.2, t + 0.01);
    gain.gain.linearRampToValueAtTime(0, t + n.s);
    osc.connect(gain).connect(ac.destination);
    osc.start(t);
    osc.stop(t + n.s + 0.02);
    t += n.s + 0.05;
  }
}
