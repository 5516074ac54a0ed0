// The two Teams app icons are committed PNG files (appPackage/color.png, outline.png), drawn
// once and kept as images; what Teams requires of them is stated here and checked by the
// packager and by test/unit/app-package-icons.test.ts.

/** The manifest's accentColor; the colour icon's background is built around it. */
export const ACCENT_COLOR = '#4F46E5';

/** Teams: a full-colour 192x192 icon and a 32x32 outline (white on transparent). */
export const COLOR_ICON_SIZE = 192;
export const OUTLINE_ICON_SIZE = 32;
