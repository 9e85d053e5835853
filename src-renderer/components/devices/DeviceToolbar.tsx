import { SORT_KEYS, SORT_LABELS, type SortKey } from '../../model/peerView.js';
import { useNearby } from '../../store/StoreContext.js';

export function DeviceToolbar() {
  const filter = useNearby((s) => s.filter);
  const sort = useNearby((s) => s.sort);
  const setFilter = useNearby((s) => s.setFilter);
  const setSort = useNearby((s) => s.setSort);
  return (
    <div className="toolbar" role="search">
      <label className="toolbar-field">
        <span className="label">Filter</span>
        <input
          type="search"
          className="input"
          value={filter}
          placeholder="Name, address, system…"
          onChange={(e) => setFilter(e.target.value)}
          aria-controls="device-list"
        />
      </label>
      <label className="toolbar-field">
        <span className="label">Sort by</span>
        <select className="input" value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
          {SORT_KEYS.map((k) => (
            <option key={k} value={k}>
              {SORT_LABELS[k]}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
