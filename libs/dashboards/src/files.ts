import { resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { dashboardSpecs } from './definitions';
import { renderDashboard } from './grafana';

/** The workspace root: deploy/ lives there. */
const workspaceRoot = resolve(import.meta.dirname, '../../..');

/** Where the committed dashboards live; Grafana's provisioning mounts this folder. */
export const dashboardsDir = resolve(workspaceRoot, 'deploy/grafana/dashboards');

/** Where Grafana's provisioning files live (datasources/, dashboards/). */
export const provisioningDir = resolve(workspaceRoot, 'deploy/grafana/provisioning');

/** A dashboard as committed: the service it reads, its file name under deploy/grafana/dashboards, its JSON. */
export interface DashboardFile {
  service: string;
  fileName: string;
  text: string;
}

/** Every dashboard as it should be committed, from the specs, formatted as the workspace's Prettier wants. */
export async function renderDashboardFiles(): Promise<DashboardFile[]> {
  const files: DashboardFile[] = [];
  for (const spec of dashboardSpecs) {
    const path = resolve(dashboardsDir, `${spec.service}.json`);
    const options = (await resolveConfig(path)) ?? {};
    files.push({
      service: spec.service,
      fileName: `${spec.service}.json`,
      text: await format(JSON.stringify(renderDashboard(spec)), { ...options, filepath: path }),
    });
  }
  return files;
}
