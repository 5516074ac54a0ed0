import { z } from 'zod';
import { whoAmICard } from '../../cards/whoami.card';
import { defineCommand } from './command-spec';
import { noFlags, noParams } from './args';

export const whoamiCommand = defineCommand({
  id: 'whoami',
  summary: 'Show who I think you are and your roles.',
  usage: '/whoami',
  examples: ['/whoami'],
  positionals: [],
  flags: {},
  args: z.object({ positionals: z.object({}), flags: noFlags, params: noParams }),
  sideEffects: false,
  run: async (_args, ctx) => {
    const perModel = [];
    for (const model of Object.keys(ctx.config.mlops.models)) perModel.push({ model, roles: await ctx.auth.rolesOf(ctx.user, model) });
    return {
      kind: 'card',
      summary: `You are ${ctx.user.name}`,
      card: whoAmICard({ name: ctx.user.name, teamsId: ctx.user.id, aadObjectId: ctx.user.aadObjectId, globalRoles: await ctx.auth.rolesOf(ctx.user), perModel }),
    };
  },
});
