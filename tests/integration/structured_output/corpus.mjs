// Realistic JSON Schemas for constrained generation. Every document they describe is bounded
// (strings have a maxLength, enum, format or bounded pattern; arrays a maxItems; recursion is
// shallow in expectation), so generation must end by itself within max_tokens.
const str = (maxLength, minLength = 0) => ({ type: 'string', minLength, maxLength });

export const corpus = [
  ['person', { type: 'object', properties: { name: str(20, 1), age: { type: 'integer', minimum: 0, maximum: 130 } }, required: ['name', 'age'], additionalProperties: false }],
  ['address', { type: 'object', properties: { street: str(30), city: str(20, 1), zip: { type: 'string', pattern: '^[0-9]{5}(-[0-9]{4})?$' }, country: { enum: ['US', 'DE', 'FR', 'JP'] } }, required: ['street', 'city', 'zip', 'country'] }],
  ['contact', { type: 'object', properties: { email: { type: 'string', format: 'email' }, phone: { type: 'string', pattern: '^\\+?[0-9]{7,12}$' }, preferred: { type: 'boolean' } }, required: ['email'] }],
  ['event', { type: 'object', properties: { title: str(24, 1), date: { type: 'string', format: 'date' }, start: { type: 'string', format: 'time' }, id: { type: 'string', format: 'uuid' } }, required: ['title', 'date', 'start', 'id'], additionalProperties: false }],
  ['log-entry', { type: 'object', properties: { at: { type: 'string', format: 'date-time' }, level: { enum: ['debug', 'info', 'warn', 'error'] }, message: str(40) }, required: ['at', 'level', 'message'] }],
  ['order', {
    type: 'object',
    properties: {
      order_id: { type: 'string', format: 'uuid' },
      items: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'object', properties: { sku: { type: 'string', pattern: '^[A-Z]{3}-[0-9]{4}$' }, qty: { type: 'integer', minimum: 1, maximum: 99 }, price: { type: 'number', minimum: 0, maximum: 10000 } }, required: ['sku', 'qty', 'price'], additionalProperties: false } },
      status: { enum: ['new', 'paid', 'shipped'] },
    },
    required: ['order_id', 'items', 'status'],
  }],
  ['invoice', {
    type: 'object',
    properties: {
      number: { type: 'integer', minimum: 1000, maximum: 999999 },
      issued: { type: 'string', format: 'date' },
      customer: { type: 'object', properties: { name: str(20, 1), email: { type: 'string', format: 'email' } }, required: ['name'] },
      lines: { type: 'array', maxItems: 2, items: { type: 'object', properties: { text: str(16), amount: { type: 'number', minimum: -500, maximum: 500 } }, required: ['text', 'amount'] } },
      paid: { type: 'boolean' },
    },
    required: ['number', 'issued', 'customer', 'lines', 'paid'],
    additionalProperties: false,
  }],
  ['tags', { type: 'array', items: { enum: ['red', 'green', 'blue', 'yellow'] }, minItems: 1, maxItems: 4 }],
  ['matrix', { type: 'array', minItems: 2, maxItems: 2, items: { type: 'array', minItems: 2, maxItems: 3, items: { type: 'integer', minimum: -9, maximum: 9 } } }],
  ['point', { type: 'array', prefixItems: [{ type: 'number', minimum: -180, maximum: 180 }, { type: 'number', minimum: -90, maximum: 90 }], items: false, minItems: 2 }],
  ['tuple-with-rest', { type: 'array', prefixItems: [{ const: 'header' }, { type: 'integer', minimum: 0, maximum: 9 }], items: { type: 'boolean' }, maxItems: 4 }],
  ['enum-mixed', { enum: ['a', 1, true, null, { k: 'v' }, [1, 2]] }],
  ['const-object', { const: { version: 2, name: 'fixed' } }],
  ['nullable-union', { type: 'object', properties: { value: { type: ['integer', 'null'], minimum: -100, maximum: 100 }, note: { type: ['string', 'null'], maxLength: 10 } }, required: ['value', 'note'] }],
  ['anyof-shapes', {
    anyOf: [
      { type: 'object', properties: { kind: { const: 'circle' }, r: { type: 'number', minimum: 0, maximum: 100 } }, required: ['kind', 'r'], additionalProperties: false },
      { type: 'object', properties: { kind: { const: 'rect' }, w: { type: 'integer', minimum: 1, maximum: 50 }, h: { type: 'integer', minimum: 1, maximum: 50 } }, required: ['kind', 'w', 'h'], additionalProperties: false },
    ],
  }],
  ['oneof-disjoint', { oneOf: [{ type: 'string', maxLength: 8 }, { type: 'integer', minimum: 0, maximum: 1000 }, { type: 'boolean' }] }],
  ['allof-merge', { allOf: [{ type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: 9999 } }, required: ['id'] }, { properties: { label: str(12) }, required: ['label'] }] }],
  ['tree', {
    $defs: { node: { type: 'object', properties: { name: str(6, 1), children: { type: 'array', maxItems: 2, items: { $ref: '#/$defs/node' } } }, required: ['name', 'children'], additionalProperties: false } },
    $ref: '#/$defs/node',
  }],
  ['linked-list', {
    definitions: { cell: { type: 'object', properties: { v: { type: 'integer', minimum: 0, maximum: 9 }, next: { anyOf: [{ type: 'null' }, { $ref: '#/definitions/cell' }] } }, required: ['v', 'next'] } },
    $ref: '#/definitions/cell',
  }],
  ['expression', {
    $defs: {
      leaf: { type: 'integer', minimum: 0, maximum: 99 },
      binary: { type: 'object', properties: { op: { enum: ['+', '-', '*'] }, args: { type: 'array', minItems: 2, maxItems: 2, items: { anyOf: [{ $ref: '#/$defs/leaf' }, { type: 'object', properties: { neg: { $ref: '#/$defs/leaf' } }, required: ['neg'] }] } } }, required: ['op', 'args'], additionalProperties: false },
    },
    anyOf: [{ $ref: '#/$defs/leaf' }, { $ref: '#/$defs/binary' }],
  }],
  ['recursive-root', { type: 'object', properties: { name: str(5), sub: { type: 'array', maxItems: 1, items: { $ref: '#' } } }, required: ['name'] }],
  ['empty-object', { type: 'object', additionalProperties: false }],
  ['bool', { type: 'boolean' }],
  ['null', { type: 'null' }],
  ['int-range', { type: 'integer', minimum: -1234, maximum: 5678 }],
  ['int-exclusive', { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 10 }],
  ['number-range', { type: 'number', minimum: 0, maximum: 1 }],
  ['negative-number', { type: 'number', minimum: -50, maximum: -10 }],
  ['string-len', { type: 'string', minLength: 3, maxLength: 8 }],
  ['pattern-code', { type: 'string', pattern: '^[A-Z]{2}[0-9]{2}( [A-Z0-9]{4}){2}$' }],
  ['pattern-alt', { type: 'string', pattern: '^(cat|dog|bird)s?$' }],
  ['pattern-hex', { type: 'string', pattern: '^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$' }],
  ['date-only', { type: 'string', format: 'date' }],
  ['time-only', { type: 'string', format: 'time' }],
  ['datetime-only', { type: 'string', format: 'date-time' }],
  ['uuid-only', { type: 'string', format: 'uuid' }],
  ['email-only', { type: 'string', format: 'email' }],
  ['dates-array', { type: 'array', minItems: 1, maxItems: 3, items: { type: 'string', format: 'date' } }],
  ['user-profile', {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      username: { type: 'string', pattern: '^[a-z][a-z0-9_]{2,11}$' },
      email: { type: 'string', format: 'email' },
      created: { type: 'string', format: 'date-time' },
      roles: { type: 'array', items: { enum: ['admin', 'editor', 'viewer'] }, maxItems: 3 },
      settings: { type: 'object', properties: { theme: { enum: ['light', 'dark'] }, notifications: { type: 'boolean' } }, required: ['theme'] },
    },
    required: ['id', 'username', 'email', 'created', 'roles', 'settings'],
  }],
  ['weather-report', {
    type: 'object',
    properties: {
      location: { type: 'object', properties: { lat: { type: 'number', minimum: -90, maximum: 90 }, lon: { type: 'number', minimum: -180, maximum: 180 } }, required: ['lat', 'lon'] },
      observed: { type: 'string', format: 'date-time' },
      temperature_c: { type: 'number', minimum: -80, maximum: 60 },
      conditions: { enum: ['sunny', 'cloudy', 'rain', 'snow'] },
      forecast: { type: 'array', maxItems: 2, items: { type: 'object', properties: { day: { type: 'string', format: 'date' }, high: { type: 'integer', minimum: -80, maximum: 60 }, low: { type: 'integer', minimum: -80, maximum: 60 } }, required: ['day', 'high', 'low'] } },
    },
    required: ['location', 'observed', 'temperature_c', 'conditions', 'forecast'],
  }],
  ['optional-only', { type: 'object', properties: { a: { type: 'integer', minimum: 0, maximum: 5 }, b: { type: 'boolean' }, c: str(4) } }],
  ['mixed-required', { type: 'object', properties: { a: { type: 'boolean' }, b: { type: 'integer', minimum: 0, maximum: 3 }, c: { type: 'null' }, d: str(3) }, required: ['b', 'd'] }],
  ['nested-deep', { type: 'object', properties: { l1: { type: 'object', properties: { l2: { type: 'object', properties: { l3: { type: 'object', properties: { v: { enum: [1, 2, 3] } }, required: ['v'] } }, required: ['l3'] } }, required: ['l2'] } }, required: ['l1'] }],
  ['key-escapes', { type: 'object', properties: { 'a"quote': { type: 'boolean' }, 'back\\slash': { type: 'null' }, 'ünï': { const: 'ç' } }, required: ['a"quote', 'back\\slash', 'ünï'] }],
  ['untyped-value', { type: 'object', properties: { anything: { type: 'array', maxItems: 2, items: { type: ['boolean', 'null', 'integer'], minimum: 0, maximum: 3 } } }, required: ['anything'] }],
];
