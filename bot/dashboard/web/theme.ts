import { setTheme } from '@fluentui/web-components';
import { teamsDarkTheme, teamsHighContrastTheme, teamsLightTheme } from '@fluentui/tokens';

/**
 * Teams' three themes mapped to Fluent's Teams token sets (teams-tab.md §11). The page's own CSS
 * reads the same CSS variables, so nothing is coloured by hand.
 */
export type TeamsTheme = 'default' | 'dark' | 'contrast';

export function applyTheme(theme: string | undefined): TeamsTheme {
  const t: TeamsTheme = theme === 'dark' ? 'dark' : theme === 'contrast' ? 'contrast' : 'default';
  setTheme(t === 'dark' ? teamsDarkTheme : t === 'contrast' ? teamsHighContrastTheme : teamsLightTheme);
  document.documentElement.dataset.theme = t;
  return t;
}
