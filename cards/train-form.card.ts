import template from './templates/train-form.json';
import { renderCard, type AdaptiveCard } from './render';
import { INPUT, executeAction } from './card-actions';
import { inlineText, plainText, type TrainFormView, type TrainParameterView } from './views';

type Element = Record<string, unknown>;

/** `/train` without arguments: a form whose fields come from the model's declared parameters. */
export function trainFormCard(view: TrainFormView): AdaptiveCard {
  const errors = view.fieldErrors ?? {};
  const values = view.values ?? {};
  const errorCount = Object.keys(errors).length;
  const field = (items: Element[], error: string | undefined): { items: Element[] } => ({
    items: error ? [...items, { type: 'TextBlock', text: `\u26a0 ${inlineText(error, 200)}`, color: 'Attention', size: 'Small', wrap: true, spacing: 'None' }] : items,
  });
  const head = [
    field(
      [{ type: 'Input.Text', id: INPUT.branch, label: 'Branch', isRequired: true, maxLength: 200, regex: '^[A-Za-z0-9._/-]+$', errorMessage: 'Enter a git branch name, e.g. main', value: values.branch ?? view.branch }],
      errors.branch,
    ),
  ];
  const fields = view.parameters.slice(0, 40).map((p) => field([parameterInput(p, values[p.name])], errors[p.name]));
  const others = view.models.filter((m) => m.id !== view.model).slice(0, 5);
  return renderCard(template, {
    fallbackText: `Start a training run of ${inlineText(view.model, 60)}`,
    title: `Train ${inlineText(view.model, 60)}`,
    intro: introText(view.environments),
    errorSummary: errorCount ? `${errorCount} field${errorCount === 1 ? ' needs' : 's need'} a fix before the run can start.` : '',
    head,
    paramsTitle: `Parameters of ${inlineText(view.model, 60)}`,
    fields,
    actions: [executeAction('submitTrain', 'Start training', { cardVersion: view.cardVersion, model: view.model })],
    // Switching model is a round trip: the parameters differ per model. No inputs are sent, so the
    // client does not insist on this model's required fields first.
    others: others.map((m) => executeAction('chooseTrainModel', m.title ?? m.id, { cardVersion: view.cardVersion, model: m.id }, { inputs: 'none' })),
  });
}

/** What a run will do, from the model's environments: the first is deployed by the run, the others by promotion. */
function introText(environments: TrainFormView['environments']): string {
  const needs = (n: number): string => (n === 0 ? 'no approval' : n === 1 ? '1 approval' : `${n} approvals`);
  const [first, ...later] = environments.slice(0, 5);
  const base = 'Runs the CI pipeline, trains on Databricks and registers the model in MLflow';
  if (!first) return `${base}.`;
  const promotions = later.map((e) => `promoting it to ${inlineText(e.name, 40)} needs ${needs(e.approvals)}`).join('; ');
  return `${base}, then deploys it to ${inlineText(first.name, 40)} (${needs(first.approvals)})${promotions ? `; ${promotions}` : ''}.`;
}

function parameterInput(p: TrainParameterView, typed: string | undefined): Element {
  const id = `${INPUT.paramPrefix}${p.name}`;
  const range = rangeText(p);
  const label = `${plainText(p.name, 40)}${p.description ? ` \u2014 ${plainText(p.description, 120)}` : ''}`;
  const common = { id, label, isRequired: p.required };
  const initial = typed ?? (p.default === undefined ? undefined : String(p.default));
  switch (p.type) {
    case 'number':
    case 'integer': {
      const value = initial !== undefined && initial.trim() !== '' && Number.isFinite(Number(initial)) ? { value: Number(initial) } : {};
      return {
        type: 'Input.Number',
        ...common,
        ...(p.min !== undefined ? { min: p.min } : {}),
        ...(p.max !== undefined ? { max: p.max } : {}),
        ...value,
        placeholder: `${p.type === 'integer' ? 'whole number' : 'number'}${range ? ` ${range}` : ''}`,
        errorMessage: `Enter a ${p.type === 'integer' ? 'whole number' : 'number'}${range ? ` ${range}` : ''}`,
      };
    }
    case 'enum':
      return {
        type: 'Input.ChoiceSet',
        ...common,
        style: 'compact',
        choices: (p.choices ?? []).map((c) => ({ title: plainText(c, 80), value: c })),
        ...(initial !== undefined ? { value: initial } : {}),
        errorMessage: `Choose one of: ${(p.choices ?? []).map((c) => plainText(c, 40)).join(', ')}`,
      };
    case 'boolean':
      return { type: 'Input.Toggle', ...common, title: plainText(p.description ?? p.name, 120), label: plainText(p.name, 40), valueOn: 'true', valueOff: 'false', value: initial === 'true' ? 'true' : 'false' };
    case 'string':
      return { type: 'Input.Text', ...common, maxLength: 200, ...(initial !== undefined ? { value: initial } : {}), errorMessage: `Enter ${plainText(p.name, 40)}` };
  }
}

function rangeText(p: TrainParameterView): string {
  if (p.min !== undefined && p.max !== undefined) return `from ${p.min} to ${p.max}`;
  if (p.min !== undefined) return `of at least ${p.min}`;
  if (p.max !== undefined) return `of at most ${p.max}`;
  return '';
}
