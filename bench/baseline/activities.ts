import type postgres from 'postgres';

/** The baseline's one activity: a single INSERT, as cheap as a bookkeeping write can be. */
export function createBaselineActivities(sql: postgres.Sql) {
  return {
    async step({ id, index }: { id: string; index: number }): Promise<void> {
      await sql`insert into bench_baseline_steps (workflow_id, index) values (${id}, ${index}) on conflict do nothing`;
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;

export const BASELINE_TABLE = `create table if not exists bench_baseline_steps (
  workflow_id text not null, index int not null, at timestamptz not null default now(), primary key (workflow_id, index))`;
