import { CloudAdapter, type Activity, type InvokeResponse, type TurnContext } from 'botbuilder';

/**
 * CloudAdapter with its processActivity reachable. CloudAdapter.process() answers malformed
 * bodies with 400/500 and library text, and needs a body parsed by middleware; the server reads
 * and checks the body itself (bot/http), so it calls the authenticated processing step directly
 * and maps every failure to its own answer.
 */
export class CheckedCloudAdapter extends CloudAdapter {
  processChecked(authHeader: string, activity: Activity, logic: (ctx: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(authHeader, activity, logic);
  }
}
