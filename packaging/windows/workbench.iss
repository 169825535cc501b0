; Inno Setup script for the Windows installer (build on Windows after `pyinstaller packaging\workbench.spec`):
;   iscc packaging\windows\workbench.iss      -> dist\Workbench-0.1.0-setup.exe
; Per-user install (no admin rights needed), Start menu + optional desktop shortcut, clean uninstall.
#define AppName "Deep Learning Workbench"
#define AppVersion "0.1.0"

[Setup]
AppId={{6C4C3C52-5B0E-4C1B-9E55-5D1E2A7B8F10}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Workbench
DefaultDirName={localappdata}\Programs\Workbench
DefaultGroupName=Workbench
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=Workbench-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\workbench.ico
Compression=lzma2/max
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; GroupDescription: "Shortcuts:"

[Files]
Source: "..\..\dist\workbench\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\workbench.exe"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\workbench.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\workbench.exe"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent
