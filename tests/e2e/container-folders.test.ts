import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `docker compose up` runs the image as `USER node` and mounts empty named volumes at the outbox and statements
 * folders. Docker creates a named volume's mount point as root unless the image already has the folder, whose
 * owner it then copies. Without the folders in the image, the release job commits a release (money to payments
 * in transit) and then fails to write its pain.001 on every attempt. Docker is not available where the tests
 * run, so this reads the two files the way `docker compose` uses them.
 */
const root = join(import.meta.dirname, '..', '..');

describe('the container can write the folders docker-compose.yml gives it', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8').split('\n').map((l) => l.trim());
  const finalStage = dockerfile.slice(dockerfile.map((l, n) => (/^FROM\s/i.test(l) ? n : -1)).filter((n) => n >= 0).pop()!);
  const userLine = finalStage.findIndex((l) => /^USER\s/i.test(l));
  const user = finalStage[userLine]?.split(/\s+/)[1] ?? 'root';
  const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const folders = [...new Set([...compose.matchAll(/ONTZORG_(?:OUTBOX|STATEMENTS)_DIR:\s*(\S+)/g)].map((m) => m[1]!))];

  it('names the folders, each a volume', () => {
    expect(folders.sort()).toEqual(['/outbox', '/statements']);
    for (const folder of folders) expect(compose).toMatch(new RegExp(`-\\s+\\w+:${folder}\\b`));
  });

  it.each(['/outbox', '/statements'])('%s is made in the image and given to its user before it switches to that user', (folder) => {
    expect(user).toBe('node');
    const before = finalStage.slice(0, userLine);
    expect(before.some((l) => /^RUN\s/i.test(l) && l.includes(`mkdir -p`) && l.includes(folder) && new RegExp(`chown\\s+(-R\\s+)?${user}(:${user})?\\s`).test(l))).toBe(true);
  });
});
