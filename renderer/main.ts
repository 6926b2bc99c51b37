// Entry point of the page: connect, say hello, draw.
import { App } from './app.js';
import { ApiFailure, connectApi } from './bridge.js';

async function start(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) return;
  const api = connectApi();
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      const hello = await api.call('hello', {});
      new App(api, root, hello);
      return;
    } catch (e) {
      root.textContent = e instanceof ApiFailure ? `${e.error.messages.vi} / ${e.error.messages.en}` : String(e);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

void start();
