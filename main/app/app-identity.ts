/**
 * Who the app is to the OS. APP_ID is electron-builder's appId (build/electron-builder.json) and the
 * Windows AppUserModelId: they must be equal or Windows drops the app's toast notifications.
 */
export const APP_ID = 'org.eemswatch.desktop';
export const PRODUCT_NAME = 'EEMS Watch';
/** The custom scheme the window loads the renderer from (app://eems/). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'eems';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
