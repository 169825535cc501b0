; Inno Setup script for the Windows installer. Build on Windows (Inno Setup 6):
;   .venv\Scripts\python -m PyInstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\workbench.spec
;   dist\workbench\workbench.exe --self-test
;   iscc packaging\windows\workbench.iss                 -> dist\Workbench-0.1.0-setup.exe
;   (iscc /DAppVersion=0.2.0 ... overrides the version)
; Per-user install (no admin rights needed), Start menu entry, optional desktop shortcut, clean uninstall.
; The user's settings and projects live outside {app} and are kept on uninstall.
#define AppName "Deep Learning Workbench"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6C4C3C52-5B0E-4C1B-9E55-5D1E2A7B8F10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Workbench
DefaultDirName={localappdata}\Programs\Workbench
DefaultGroupName=Workbench
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=Workbench-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\workbench.ico
UninstallDisplayIcon={app}\workbench.exe
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
LZMANumBlockThreads=4
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; GroupDescription: "Shortcuts:"; Flags: unchecked

[Files]
Source: "..\..\dist\workbench\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[InstallDelete]
; An update replaces the whole bundle: stale modules from an older version must not linger.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\workbench.exe"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\workbench.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\workbench.exe"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent
