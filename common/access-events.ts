/** Who may see and act on an execution changes only through these audit events (the API writes them). */
export const ACCESS_EVENT_TYPES = ['execution.shared', 'execution.unshared', 'execution.visibility_changed', 'execution.handed_off'] as const;
export type AccessEventType = (typeof ACCESS_EVENT_TYPES)[number];

/** Comments on an execution, apart from the agent conversation. */
export const COMMENT_EVENT_TYPES = ['comment.added', 'comment.edited', 'comment.deleted'] as const;
export type CommentEventType = (typeof COMMENT_EVENT_TYPES)[number];

/** `read`: see, stream and comment; `collaborate`: also approve, deny, stop and message. */
export const SHARE_ACCESS = ['read', 'collaborate'] as const;
export type ShareAccess = (typeof SHARE_ACCESS)[number];

export const VISIBILITIES = ['private', 'tenant'] as const;
export type Visibility = (typeof VISIBILITIES)[number];
