import { customType } from 'drizzle-orm/pg-core';
import { storableText, storableValue } from '../common/storable-text.ts';

/**
 * `text` and `jsonb` columns that make every value storable on its way in: a NUL or a lone surrogate
 * (tool output, file contents, model text, error messages) becomes U+FFFD instead of failing the
 * write. The schema uses these for every column of those types, so no write path can forget.
 */
export const text = customType<{ data: string; driverData: string }>({
  dataType: () => 'text',
  toDriver: (value) => storableText(value),
});

export const jsonb = customType<{ data: unknown; driverData: unknown }>({
  dataType: () => 'jsonb',
  toDriver: (value) => {
    try {
      return JSON.stringify(storableValue(value));
    } catch (err) {
      // Nested thousands deep (the API refuses such input; a model's tool input might not be): stored as a note.
      if (err instanceof RangeError) return JSON.stringify('[a value nested too deeply to be stored]');
      throw err;
    }
  },
  fromDriver: (value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
});
