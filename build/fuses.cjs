// electron-builder afterPack hook: flips Electron's fuses in the packaged binary before it is signed, so the
// shipped app cannot be turned into a general Node runtime or made to load code from outside its asar.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- electron-builder loads this hook as CommonJS */

const path = require('node:path');
const { Arch } = require('builder-util');

/** The fuse settings, by FuseV1Options name. */
const FUSES = Object.freeze({
  RunAsNode: false,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  // The renderer is served from the app:// protocol, so file:// needs no extra privileges.
  GrantFileProtocolExtraPrivileges: false,
});

/** Where the Electron binary (or, on macOS, the app bundle) lies in electron-builder's output folder. */
function electronBinaryPath(context) {
  const { electronPlatformName, appOutDir, packager } = context;
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
    case 'win32':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
    default:
      return path.join(appOutDir, packager.executableName);
  }
}

async function afterPack(context) {
  // @electron/fuses is an ES module; import() loads it from this CommonJS hook on every Node version.
  const { flipFuses, FuseV1Options, FuseVersion } = await import('@electron/fuses');
  const config = { version: FuseVersion.V1 };
  for (const [name, value] of Object.entries(FUSES)) config[FuseV1Options[name]] = value;
  // Flipping fuses breaks the ad-hoc signature of an arm64 macOS binary; re-sign it so it still launches.
  config.resetAdHocDarwinSignature =
    context.electronPlatformName === 'darwin' &&
    (context.arch === Arch.arm64 || context.arch === Arch.universal);
  await flipFuses(electronBinaryPath(context), config);
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.FUSES = FUSES;
module.exports.electronBinaryPath = electronBinaryPath;
