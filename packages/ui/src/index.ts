/** Ferry's notes UI (Solid), shared by the desktop and web shells. */
export { App } from './ui/App.tsx';
export { eraseTables, type AppShell } from './shell.ts';
