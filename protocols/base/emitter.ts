// Ordered fan-out of adapter events. A throwing listener must not stop the others or the adapter.
import type { AdapterEvent, AdapterListener } from '../contract';

export class EventHub {
  private readonly listeners = new Set<AdapterListener>();
  private muted = false;

  on(listener: AdapterListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** After mute() nothing is delivered until unmute(): "no events after disconnect() resolves". */
  mute(): void {
    this.muted = true;
  }
  unmute(): void {
    this.muted = false;
  }

  emit(event: AdapterEvent): void {
    if (this.muted) return;
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // A listener's bug is not the protocol's problem; keep delivering to the others.
      }
    }
  }
}
