/** Ferry's notes UI (Solid), shared by the desktop and web shells. */
export { App } from './ui/App.tsx';
export { CouldNotStart, Opening, StartScreen } from './ui/StartScreen.tsx';
export { eraseTables, type AppShell } from './shell.ts';
export { UI_PULL_LIMIT, type NotesFerry } from './notes-engine.ts';
/** Ferry's tables and schema version, for the shells to open the engine with. */
export { ferrySchema } from '@ferry/protocol';
