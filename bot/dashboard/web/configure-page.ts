import { pages } from '@microsoft/teams-js';
import type { MeDto } from '../dashboard-dto';
import { h, replace } from './dom';

/**
 * The channel tab's configuration page (frame context `settings`): pick the model the tab follows.
 * Teams enables Save once the choice is valid; on Save the tab is saved with entity id
 * `model:<name>` and opens the dashboard scoped to that model.
 */
export function renderConfigure(main: HTMLElement, me: MeDto): void {
  const select = h('select', { id: 'model' }, h('option', { value: '' }, 'Choose a model'), ...me.models.map((m) => h('option', { value: m.name }, m.name)));
  select.addEventListener('change', () => pages.config.setValidityState(select.value !== ''));
  pages.config.registerOnSaveHandler((save) => {
    const model = select.value;
    const page = `${location.origin}/tabs/dashboard`;
    pages.config
      .setConfig({ entityId: `model:${model}`, contentUrl: `${page}?theme={theme}`, websiteUrl: page, suggestedDisplayName: `${model} runs` })
      .then(() => save.notifySuccess(), (error: unknown) => save.notifyFailure(error instanceof Error ? error.message : String(error)));
  });
  replace(
    main,
    h('h2', {}, 'Add the MLOps dashboard to this conversation'),
    h('p', {}, 'The tab shows the runs of one model, live, with their charts and approvals.'),
    h('p', { class: 'field' }, h('label', { for: 'model' }, 'Model'), select),
  );
}
