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
  roles: [],
  run: async (_args, ctx) => ({
    kind: 'card',
    summary: `You are ${ctx.user.name}`,
    card: whoAmICard({
      name: ctx.user.name,
      teamsId: ctx.user.id,
      aadObjectId: ctx.user.aadObjectId,
      globalRoles: ctx.roles.rolesOf(ctx.user),
      perModel: Object.keys(ctx.config.mlops.models).map((m) => ({ model: m, roles: ctx.roles.rolesOf(ctx.user, m) })),
    }),
  }),
});
