import { createMemoryStore } from '../../src/store/memory-store.ts';
import { storeConformance } from './conformance.ts';

storeConformance('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});
