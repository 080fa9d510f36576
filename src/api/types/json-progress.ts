/**
 * docker's progress bar (moby pkg/jsonmessage JSONProgress.String, without the time left):
 * `[=====>      ]  12.35MB/45.67MB`, sizes in go-units HumanSize (decimal, 4 significant
 * digits). The one copy for the daemon's `progress` field (registry client) and the CLI's
 * redraw on a terminal.
 */
import { humanSize } from '../../common/human.ts';

/**
 * `width` is the terminal's (the bar box shows only above 110 columns); the daemon has no
 * terminal and uses docker's 200. A `current` above `total` shows without the total.
 */
export function progressBar(current: number, total: number | undefined, width = 200): string {
  const t = total ?? 0;
  if (current <= 0 && t <= 0) return '';
  const cur = humanSize(current, 4).padStart(8);
  if (t <= 0) return cur;
  const pct = Math.min(50, Math.floor(Math.floor((current / t) * 100) / 2));
  const box = width > 110 ? `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] ` : '';
  return box + (current > t ? cur : `${cur}/${humanSize(t, 4)}`);
}
