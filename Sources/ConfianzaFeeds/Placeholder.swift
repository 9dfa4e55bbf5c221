public enum FeedsPlaceholder {}
