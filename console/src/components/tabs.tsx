/**
 * A tab list: each tab names its panel (`panel-<name>`), the selected one is the only one in the tab
 * order, and the arrow keys, Home and End move between tabs.
 */
export function Tabs<T extends string>({
  names,
  current,
  onSelect,
  label,
}: {
  names: readonly T[];
  current: T;
  onSelect: (name: T) => void;
  label: string;
}) {
  const move = (event: KeyboardEvent) => {
    const index = names.indexOf(current);
    const next =
      event.key === 'ArrowRight'
        ? (index + 1) % names.length
        : event.key === 'ArrowLeft'
          ? (index - 1 + names.length) % names.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? names.length - 1
              : -1;
    if (next < 0) return;
    event.preventDefault();
    onSelect(names[next]!);
    requestAnimationFrame(() => document.getElementById(`tab-${names[next]}`)?.focus());
  };
  return (
    <div role="tablist" aria-label={label} class="tabs" onKeyDown={move}>
      {names.map((name) => (
        <button
          key={name}
          id={`tab-${name}`}
          type="button"
          role="tab"
          aria-selected={current === name}
          aria-controls={`panel-${name}`}
          tabIndex={current === name ? 0 : -1}
          onClick={() => onSelect(name)}
        >
          {name[0]!.toUpperCase() + name.slice(1)}
        </button>
      ))}
    </div>
  );
}
