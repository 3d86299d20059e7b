//! The server options Readiness knows, so that an option the server would
//! refuse (and so refuse to start) can be reported.
//!
//! The list is curated, not complete: it holds the options of the MySQL 8.0
//! and 8.4 and MariaDB 10.6 to 11.x server references that production
//! option files commonly carry (every option of the fixtures among them),
//! the options each flavour removed, and the prefixes of plugin and
//! component families whose options depend on what is loaded. A name in
//! none of these is reported as unknown; the fix text tells people to
//! confirm with `mysqld --validate-config` (MySQL 8.0.16+) or by starting
//! the server, because a real option missing from this list is possible.
//! Names are compared in lower case with `-` read as `_`.

use super::server::{Flavour, ServerInfo, Version};

/// Options both flavours accept (MySQL 8.0/8.4, MariaDB 10.6+). When in
/// doubt whether one flavour dropped an option, it is listed here: a
/// missed unknown option is a smaller harm than a false "will not start".
const COMMON: &[&str] = &[
    "auto_increment_increment",
    "auto_increment_offset",
    "autocommit",
    "automatic_sp_privileges",
    "back_log",
    "basedir",
    "big_tables",
    "bind_address",
    "binlog_cache_size",
    "binlog_checksum",
    "binlog_do_db",
    "binlog_expire_logs_seconds",
    "binlog_format",
    "binlog_ignore_db",
    "binlog_row_image",
    "binlog_row_metadata",
    "binlog_stmt_cache_size",
    "bulk_insert_buffer_size",
    "character_set_client_handshake",
    "character_set_filesystem",
    "character_set_server",
    "character_sets_dir",
    "chroot",
    "collation_server",
    "completion_type",
    "concurrent_insert",
    "connect_timeout",
    "console",
    "core_file",
    "datadir",
    "default_password_lifetime",
    "default_storage_engine",
    "default_time_zone",
    "default_tmp_storage_engine",
    "default_week_format",
    "delay_key_write",
    "delayed_insert_limit",
    "delayed_insert_timeout",
    "delayed_queue_size",
    "disconnect_on_expired_password",
    "div_precision_increment",
    "eq_range_index_dive_limit",
    "event_scheduler",
    "explicit_defaults_for_timestamp",
    "external_locking",
    "flush",
    "flush_time",
    "ft_boolean_syntax",
    "ft_max_word_len",
    "ft_min_word_len",
    "ft_query_expansion_limit",
    "ft_stopword_file",
    "gdb",
    "general_log",
    "general_log_file",
    "group_concat_max_len",
    "host_cache_size",
    "init_connect",
    "init_file",
    "init_slave",
    "innodb",
    "interactive_timeout",
    "join_buffer_size",
    "keep_files_on_create",
    "key_buffer_size",
    "key_cache_age_threshold",
    "key_cache_block_size",
    "key_cache_division_limit",
    "large_pages",
    "lc_messages",
    "lc_messages_dir",
    "lc_time_names",
    "local_infile",
    "lock_wait_timeout",
    "log_bin",
    "log_bin_index",
    "log_bin_trust_function_creators",
    "log_error",
    "log_output",
    "log_queries_not_using_indexes",
    "log_slave_updates",
    "log_slow_admin_statements",
    "log_slow_slave_statements",
    "log_tc_size",
    "long_query_time",
    "low_priority_updates",
    "lower_case_table_names",
    "max_allowed_packet",
    "max_binlog_cache_size",
    "max_binlog_size",
    "max_binlog_stmt_cache_size",
    "max_connect_errors",
    "max_connections",
    "max_delayed_threads",
    "max_digest_length",
    "max_error_count",
    "max_heap_table_size",
    "max_join_size",
    "max_length_for_sort_data",
    "max_prepared_stmt_count",
    "max_relay_log_size",
    "max_seeks_for_key",
    "max_sort_length",
    "max_sp_recursion_depth",
    "max_user_connections",
    "max_write_lock_count",
    "memlock",
    "min_examined_row_limit",
    "myisam_block_size",
    "myisam_data_pointer_size",
    "myisam_max_sort_file_size",
    "myisam_mmap_size",
    "myisam_recover_options",
    "myisam_sort_buffer_size",
    "myisam_stats_method",
    "myisam_use_mmap",
    "net_buffer_length",
    "net_read_timeout",
    "net_retry_count",
    "net_write_timeout",
    "old",
    "old_alter_table",
    "open_files_limit",
    "optimizer_prune_level",
    "optimizer_search_depth",
    "optimizer_switch",
    "optimizer_trace",
    "optimizer_trace_features",
    "optimizer_trace_limit",
    "optimizer_trace_max_mem_size",
    "optimizer_trace_offset",
    "performance_schema",
    "pid_file",
    "plugin_dir",
    "plugin_load",
    "plugin_load_add",
    "port",
    "port_open_timeout",
    "preload_buffer_size",
    "profiling_history_size",
    "query_alloc_block_size",
    "query_prealloc_size",
    "range_alloc_block_size",
    "read_buffer_size",
    "read_only",
    "read_rnd_buffer_size",
    "relay_log",
    "relay_log_index",
    "relay_log_info_file",
    "relay_log_purge",
    "relay_log_recovery",
    "relay_log_space_limit",
    "replicate_do_db",
    "replicate_do_table",
    "replicate_ignore_db",
    "replicate_ignore_table",
    "replicate_rewrite_db",
    "replicate_same_server_id",
    "replicate_wild_do_table",
    "replicate_wild_ignore_table",
    "report_host",
    "report_password",
    "report_port",
    "report_user",
    "secure_file_priv",
    "server_id",
    "session_track_gtids",
    "session_track_schema",
    "session_track_state_change",
    "session_track_system_variables",
    "session_track_transaction_info",
    "shared_memory",
    "shared_memory_base_name",
    "show_old_temporals",
    "skip_external_locking",
    "skip_grant_tables",
    "skip_name_resolve",
    "skip_networking",
    "skip_show_database",
    "skip_slave_start",
    "skip_stack_trace",
    "slave_compressed_protocol",
    "slave_exec_mode",
    "slave_load_tmpdir",
    "slave_max_allowed_packet",
    "slave_net_timeout",
    "slave_parallel_workers",
    "slave_skip_errors",
    "slave_sql_verify_checksum",
    "slave_transaction_retries",
    "slave_type_conversions",
    "slow_launch_time",
    "slow_query_log",
    "slow_query_log_file",
    "socket",
    "sort_buffer_size",
    "sql_mode",
    "sql_select_limit",
    "ssl",
    "ssl_ca",
    "ssl_capath",
    "ssl_cert",
    "ssl_cipher",
    "ssl_crl",
    "ssl_crlpath",
    "ssl_key",
    "stored_program_cache",
    "symbolic_links",
    "sync_binlog",
    "sync_master_info",
    "sync_relay_log",
    "sync_relay_log_info",
    "sysdate_is_now",
    "table_definition_cache",
    "table_open_cache",
    "table_open_cache_instances",
    "tc_heuristic_recover",
    "thread_cache_size",
    "thread_handling",
    "thread_stack",
    "tls_version",
    "tmp_table_size",
    "tmpdir",
    "transaction_alloc_block_size",
    "transaction_isolation",
    "transaction_prealloc_size",
    "transaction_read_only",
    "updatable_views_with_limit",
    "user",
    "verbose",
    "wait_timeout",
    // InnoDB options both flavours keep.
    "innodb_adaptive_flushing",
    "innodb_adaptive_flushing_lwm",
    "innodb_adaptive_hash_index",
    "innodb_autoextend_increment",
    "innodb_autoinc_lock_mode",
    "innodb_buffer_pool_chunk_size",
    "innodb_buffer_pool_dump_at_shutdown",
    "innodb_buffer_pool_dump_now",
    "innodb_buffer_pool_dump_pct",
    "innodb_buffer_pool_filename",
    "innodb_buffer_pool_load_abort",
    "innodb_buffer_pool_load_at_startup",
    "innodb_buffer_pool_load_now",
    "innodb_buffer_pool_size",
    "innodb_change_buffer_max_size",
    "innodb_change_buffering",
    "innodb_checksum_algorithm",
    "innodb_cmp_per_index_enabled",
    "innodb_compression_failure_threshold_pct",
    "innodb_compression_level",
    "innodb_compression_pad_pct_max",
    "innodb_data_file_path",
    "innodb_data_home_dir",
    "innodb_deadlock_detect",
    "innodb_default_row_format",
    "innodb_disable_sort_file_cache",
    "innodb_doublewrite",
    "innodb_fast_shutdown",
    "innodb_file_per_table",
    "innodb_fill_factor",
    "innodb_flush_log_at_timeout",
    "innodb_flush_log_at_trx_commit",
    "innodb_flush_method",
    "innodb_flush_neighbors",
    "innodb_flush_sync",
    "innodb_flushing_avg_loops",
    "innodb_force_load_corrupted",
    "innodb_force_recovery",
    "innodb_ft_aux_table",
    "innodb_ft_cache_size",
    "innodb_ft_enable_diag_print",
    "innodb_ft_enable_stopword",
    "innodb_ft_max_token_size",
    "innodb_ft_min_token_size",
    "innodb_ft_num_word_optimize",
    "innodb_ft_result_cache_limit",
    "innodb_ft_server_stopword_table",
    "innodb_ft_sort_pll_degree",
    "innodb_ft_total_cache_size",
    "innodb_ft_user_stopword_table",
    "innodb_io_capacity",
    "innodb_io_capacity_max",
    "innodb_lock_wait_timeout",
    "innodb_log_buffer_size",
    "innodb_log_file_size",
    "innodb_log_group_home_dir",
    "innodb_log_write_ahead_size",
    "innodb_lru_scan_depth",
    "innodb_max_dirty_pages_pct",
    "innodb_max_dirty_pages_pct_lwm",
    "innodb_max_purge_lag",
    "innodb_max_purge_lag_delay",
    "innodb_max_undo_log_size",
    "innodb_monitor_disable",
    "innodb_monitor_enable",
    "innodb_monitor_reset",
    "innodb_monitor_reset_all",
    "innodb_numa_interleave",
    "innodb_old_blocks_pct",
    "innodb_old_blocks_time",
    "innodb_online_alter_log_max_size",
    "innodb_open_files",
    "innodb_optimize_fulltext_only",
    "innodb_page_size",
    "innodb_print_all_deadlocks",
    "innodb_purge_batch_size",
    "innodb_purge_rseg_truncate_frequency",
    "innodb_purge_threads",
    "innodb_random_read_ahead",
    "innodb_read_ahead_threshold",
    "innodb_read_io_threads",
    "innodb_read_only",
    "innodb_rollback_on_timeout",
    "innodb_sort_buffer_size",
    "innodb_spin_wait_delay",
    "innodb_stats_auto_recalc",
    "innodb_stats_include_delete_marked",
    "innodb_stats_method",
    "innodb_stats_on_metadata",
    "innodb_stats_persistent",
    "innodb_stats_persistent_sample_pages",
    "innodb_stats_transient_sample_pages",
    "innodb_status_output",
    "innodb_status_output_locks",
    "innodb_strict_mode",
    "innodb_sync_spin_loops",
    "innodb_table_locks",
    "innodb_temp_data_file_path",
    "innodb_tmpdir",
    "innodb_undo_directory",
    "innodb_undo_log_truncate",
    "innodb_undo_tablespaces",
    "innodb_use_native_aio",
    "innodb_write_io_threads",
    "expire_logs_days",
    "skip_host_cache",
    "innodb_rollback_segments",
    "innodb_sync_array_size",
];

/// Options of MySQL 8.0/8.4 that MariaDB does not have.
const MYSQL_ONLY: &[&str] = &[
    "activate_all_roles_on_login",
    "admin_address",
    "admin_port",
    "authentication_policy",
    "binlog_encryption",
    "binlog_expire_logs_auto_purge",
    "binlog_group_commit_sync_delay",
    "binlog_group_commit_sync_no_delay_count",
    "binlog_gtid_simple_recovery",
    "binlog_order_commits",
    "binlog_rotate_encryption_master_key_at_startup",
    "binlog_rows_query_log_events",
    "binlog_transaction_compression",
    "binlog_transaction_compression_level_zstd",
    "binlog_transaction_dependency_history_size",
    "caching_sha2_password_auto_generate_rsa_keys",
    "caching_sha2_password_private_key_path",
    "caching_sha2_password_public_key_path",
    "create_admin_listener_thread",
    "cte_max_recursion_depth",
    "default_table_encryption",
    "disabled_storage_engines",
    "early_plugin_load",
    "enforce_gtid_consistency",
    "generated_random_password_length",
    "gtid_mode",
    "histogram_generation_max_mem_size",
    "information_schema_stats_expiry",
    "innodb_adaptive_hash_index_parts",
    "innodb_adaptive_max_sleep_delay",
    "innodb_buffer_pool_in_core_file",
    "innodb_buffer_pool_instances",
    "innodb_commit_concurrency",
    "innodb_concurrency_tickets",
    "innodb_ddl_buffer_size",
    "innodb_ddl_threads",
    "innodb_dedicated_server",
    "innodb_directories",
    "innodb_doublewrite_batch_size",
    "innodb_doublewrite_dir",
    "innodb_doublewrite_files",
    "innodb_doublewrite_pages",
    "innodb_extend_and_initialize",
    "innodb_fsync_threshold",
    "innodb_idle_flush_pct",
    "innodb_log_checksums",
    "innodb_log_files_in_group",
    "innodb_log_spin_cpu_abs_lwm",
    "innodb_log_spin_cpu_pct_hwm",
    "innodb_log_wait_for_flush_spin_hwm",
    "innodb_log_writer_threads",
    "innodb_page_cleaners",
    "innodb_parallel_read_threads",
    "innodb_print_ddl_logs",
    "innodb_redo_log_archive_dirs",
    "innodb_redo_log_capacity",
    "innodb_redo_log_encrypt",
    "innodb_segment_reserve_factor",
    "innodb_spin_wait_pause_multiplier",
    "innodb_temp_tablespaces_dir",
    "innodb_thread_concurrency",
    "innodb_thread_sleep_delay",
    "innodb_undo_log_encrypt",
    "innodb_use_fdatasync",
    "innodb_validate_tablespace_paths",
    "internal_tmp_mem_storage_engine",
    "log_error_services",
    "log_error_suppression_list",
    "log_error_verbosity",
    "log_raw",
    "log_replica_updates",
    "log_slow_extra",
    "log_slow_replica_statements",
    "log_throttle_queries_not_using_indexes",
    "log_timestamps",
    "mandatory_roles",
    "mysql_native_password",
    "mysqlx",
    "partial_revokes",
    "password_history",
    "password_require_current",
    "password_reuse_interval",
    "persisted_globals_load",
    "regexp_stack_limit",
    "regexp_time_limit",
    "replica_checkpoint_group",
    "replica_checkpoint_period",
    "replica_compressed_protocol",
    "replica_exec_mode",
    "replica_load_tmpdir",
    "replica_max_allowed_packet",
    "replica_net_timeout",
    "replica_parallel_type",
    "replica_parallel_workers",
    "replica_pending_jobs_size_max",
    "replica_preserve_commit_order",
    "replica_skip_errors",
    "replica_sql_verify_checksum",
    "replica_transaction_retries",
    "replica_type_conversions",
    "select_into_buffer_size",
    "select_into_disk_sync",
    "sha256_password_auto_generate_rsa_keys",
    "sha256_password_private_key_path",
    "sha256_password_public_key_path",
    "skip_replica_start",
    "slave_parallel_type",
    "slave_preserve_commit_order",
    "source_verify_checksum",
    "sql_require_primary_key",
    "ssl_fips_mode",
    "ssl_session_cache_mode",
    "super_read_only",
    "table_encryption_privilege_check",
    "temptable_max_mmap",
    "temptable_max_ram",
    "temptable_use_mmap",
    "tls_ciphersuites",
    "upgrade",
    "validate_config",
    "windowing_use_high_precision",
    // Still accepted by 8.0, removed by 8.4 (see MYSQL_REMOVED_84).
    "avoid_temporal_upgrade",
    "binlog_transaction_dependency_tracking",
    "default_authentication_plugin",
    "log_bin_use_v1_row_events",
    "master_info_repository",
    "relay_log_info_repository",
    "slave_rows_search_algorithms",
    "transaction_write_set_extraction",
];

/// Options of MariaDB 10.6+ that MySQL 8 does not have.
const MARIADB_ONLY: &[&str] = &[
    "analyze_sample_percentage",
    "binlog_annotate_row_events",
    "binlog_commit_wait_count",
    "binlog_commit_wait_usec",
    "binlog_file_cache_size",
    "binlog_optimize_thread_scheduling",
    "character_set_collations",
    "deadlock_search_depth_long",
    "deadlock_search_depth_short",
    "deadlock_timeout_long",
    "deadlock_timeout_short",
    "default_master_connection",
    "encrypt_binlog",
    "encrypt_tmp_disk_tables",
    "encrypt_tmp_files",
    "enforce_storage_engine",
    "expensive_subquery_limit",
    "extra_max_connections",
    "extra_port",
    "gtid_cleanup_batch_size",
    "gtid_domain_id",
    "gtid_ignore_duplicates",
    "gtid_pos_auto_engines",
    "gtid_strict_mode",
    "histogram_size",
    "histogram_type",
    "idle_readonly_transaction_timeout",
    "idle_transaction_timeout",
    "idle_write_transaction_timeout",
    "ignore_db_dirs",
    "in_predicate_conversion_threshold",
    "innodb_compression_algorithm",
    "innodb_compression_default",
    "innodb_data_file_buffering",
    "innodb_data_file_write_through",
    "innodb_deadlock_report",
    "innodb_defragment",
    "innodb_encrypt_log",
    "innodb_encrypt_tables",
    "innodb_encrypt_temporary_tables",
    "innodb_encryption_rotate_key_age",
    "innodb_encryption_rotation_iops",
    "innodb_encryption_threads",
    "innodb_force_primary_key",
    "innodb_immediate_scrub_data_uncompressed",
    "innodb_instant_alter_column_allowed",
    "innodb_log_file_buffering",
    "innodb_log_file_write_through",
    "innodb_lru_flush_size",
    "innodb_max_purge_lag_wait",
    "innodb_prefix_index_cluster_optimization",
    "innodb_read_only_compressed",
    "innodb_snapshot_isolation",
    "innodb_use_atomic_writes",
    "join_buffer_space_limit",
    "join_cache_level",
    "log_basename",
    "log_bin_compress",
    "log_bin_compress_min_len",
    "log_disabled_statements",
    "log_slow_disabled_statements",
    "log_slow_filter",
    "log_slow_max_warnings",
    "log_slow_min_examined_row_limit",
    "log_slow_query",
    "log_slow_query_file",
    "log_slow_query_time",
    "log_slow_rate_limit",
    "log_slow_verbosity",
    "log_warnings",
    "max_password_errors",
    "max_session_mem_used",
    "max_statement_time",
    "mrr_buffer_size",
    "note_verbosity",
    "old_mode",
    "old_passwords",
    "optimizer_adjust_secondary_key_costs",
    "optimizer_extra_pruning_depth",
    "optimizer_join_limit_pref_ratio",
    "optimizer_max_sel_arg_weight",
    "optimizer_max_sel_args",
    "optimizer_use_condition_selectivity",
    "plugin_maturity",
    "proxy_protocol_networks",
    "query_cache_limit",
    "query_cache_min_res_unit",
    "query_cache_size",
    "query_cache_strip_comments",
    "query_cache_type",
    "query_cache_wlock_invalidate",
    "safe_user_create",
    "secure_auth",
    "secure_timestamp",
    "slave_ddl_exec_mode",
    "slave_domain_parallel_threads",
    "slave_max_statement_time",
    "slave_parallel_max_queued",
    "slave_parallel_mode",
    "slave_parallel_threads",
    "slave_run_triggers_for_rbr",
    "sql_if_exists",
    "strict_password_validation",
    "system_versioning_alter_history",
    "system_versioning_asof",
    "tcp_keepalive_interval",
    "tcp_keepalive_probes",
    "tcp_keepalive_time",
    "tcp_nodelay",
    "tmp_disk_table_size",
    "tmp_memory_table_size",
    "tx_isolation",
    "tx_read_only",
    "use_stat_tables",
    "userstat",
    "check_constraint_checks",
    "date_format",
    "datetime_format",
    "time_format",
];

/// Prefixes of option families whose members depend on a loaded plugin or
/// component, or are too many to list; options under them are accepted
/// without a check, and the finding says so.
const FAMILIES: &[(&str, Option<Flavour>)] = &[
    ("aria_", Some(Flavour::MariaDb)),
    ("audit_log", None),
    ("clone_", None),
    ("columnstore_", Some(Flavour::MariaDb)),
    ("connect_", Some(Flavour::MariaDb)),
    ("connection_control", None),
    ("cracklib_password_check", Some(Flavour::MariaDb)),
    ("feedback", Some(Flavour::MariaDb)),
    ("file_key_management", Some(Flavour::MariaDb)),
    ("group_replication_", Some(Flavour::MySql)),
    ("keyring_", None),
    ("mroonga", Some(Flavour::MariaDb)),
    ("mysqlx_", Some(Flavour::MySql)),
    ("ndb", Some(Flavour::MySql)),
    ("performance_schema_", None),
    ("query_response_time", None),
    ("rocksdb", None),
    ("rpl_semi_sync_", None),
    ("s3_", Some(Flavour::MariaDb)),
    ("server_audit", Some(Flavour::MariaDb)),
    ("simple_password_check", Some(Flavour::MariaDb)),
    ("spider_", Some(Flavour::MariaDb)),
    ("thread_pool", None),
    ("unix_socket", Some(Flavour::MariaDb)),
    ("validate_password", None),
    ("wsrep", Some(Flavour::MariaDb)),
];

/// Options MySQL 8.0 removed: a MySQL 8 server refuses to start on them.
const MYSQL_REMOVED_80: &[(&str, &str)] = &[
    ("date_format", "removed in MySQL 8.0"),
    ("datetime_format", "removed in MySQL 8.0"),
    (
        "default_character_set",
        "removed in MySQL 5.5; use character_set_server",
    ),
    ("ignore_builtin_innodb", "removed in MySQL 8.0"),
    ("ignore_db_dirs", "removed in MySQL 8.0"),
    ("innodb_additional_mem_pool_size", "removed in MySQL 5.7"),
    ("innodb_file_format", "removed in MySQL 8.0"),
    ("innodb_file_format_check", "removed in MySQL 8.0"),
    ("innodb_file_format_max", "removed in MySQL 8.0"),
    ("innodb_large_prefix", "removed in MySQL 8.0"),
    ("innodb_locks_unsafe_for_binlog", "removed in MySQL 8.0"),
    ("innodb_support_xa", "removed in MySQL 8.0"),
    (
        "innodb_undo_logs",
        "removed in MySQL 8.0; use innodb_rollback_segments",
    ),
    ("innodb_use_sys_malloc", "removed in MySQL 5.7"),
    (
        "key_buffer",
        "an abbreviation of key_buffer_size, which MySQL 8.0 no longer accepts",
    ),
    ("log", "removed in MySQL 5.6; use general_log"),
    (
        "log_slow_queries",
        "removed in MySQL 5.6; use slow_query_log",
    ),
    (
        "log_warnings",
        "removed in MySQL 8.0; use log_error_verbosity",
    ),
    ("max_tmp_tables", "removed in MySQL 8.0"),
    ("metadata_locks_cache_size", "removed in MySQL 8.0"),
    ("metadata_locks_hash_instances", "removed in MySQL 8.0"),
    ("multi_range_count", "removed in MySQL 8.0"),
    (
        "myisam_recover",
        "an abbreviation of myisam_recover_options, which MySQL 8.0 no longer accepts",
    ),
    ("old_passwords", "removed in MySQL 8.0"),
    (
        "query_cache_limit",
        "removed in MySQL 8.0 with the query cache",
    ),
    (
        "query_cache_min_res_unit",
        "removed in MySQL 8.0 with the query cache",
    ),
    (
        "query_cache_size",
        "removed in MySQL 8.0 with the query cache",
    ),
    (
        "query_cache_type",
        "removed in MySQL 8.0 with the query cache",
    ),
    (
        "query_cache_wlock_invalidate",
        "removed in MySQL 8.0 with the query cache",
    ),
    ("safe_user_create", "removed in MySQL 8.0"),
    ("secure_auth", "removed in MySQL 8.0"),
    (
        "storage_engine",
        "removed in MySQL 5.7; use default_storage_engine",
    ),
    ("sync_frm", "removed in MySQL 8.0"),
    ("table_cache", "removed in MySQL 5.6; use table_open_cache"),
    ("thread_concurrency", "removed in MySQL 5.7"),
    ("time_format", "removed in MySQL 8.0"),
    (
        "tx_isolation",
        "removed in MySQL 8.0; use transaction_isolation",
    ),
    (
        "tx_read_only",
        "removed in MySQL 8.0; use transaction_read_only",
    ),
];

/// Options MySQL 8.0 still accepts (most of them deprecated) and 8.3 or
/// 8.4 removed.
const MYSQL_REMOVED_84: &[(&str, &str)] = &[
    ("avoid_temporal_upgrade", "removed in MySQL 8.4"),
    (
        "binlog_transaction_dependency_tracking",
        "removed in MySQL 8.4",
    ),
    (
        "default_authentication_plugin",
        "removed in MySQL 8.4; use authentication_policy",
    ),
    (
        "expire_logs_days",
        "removed in MySQL 8.4; use binlog_expire_logs_seconds",
    ),
    ("log_bin_use_v1_row_events", "removed in MySQL 8.3"),
    ("master_info_repository", "removed in MySQL 8.3"),
    ("relay_log_info_repository", "removed in MySQL 8.3"),
    ("show_old_temporals", "removed in MySQL 8.4"),
    (
        "skip_host_cache",
        "removed in MySQL 8.4; use host_cache_size=0",
    ),
    ("slave_rows_search_algorithms", "removed in MySQL 8.3"),
    ("transaction_write_set_extraction", "removed in MySQL 8.3"),
];

/// Options MariaDB removed by 10.6 (most after years of being ignored).
const MARIADB_REMOVED: &[(&str, &str)] = &[
    ("default_character_set", "removed; use character_set_server"),
    ("innodb_adaptive_max_sleep_delay", "removed in MariaDB 10.6"),
    ("innodb_additional_mem_pool_size", "removed in MariaDB 10.2"),
    ("innodb_buffer_pool_instances", "removed in MariaDB 10.6"),
    ("innodb_commit_concurrency", "removed in MariaDB 10.6"),
    ("innodb_concurrency_tickets", "removed in MariaDB 10.6"),
    ("innodb_file_format", "removed from MariaDB"),
    ("innodb_large_prefix", "removed from MariaDB"),
    ("innodb_log_files_in_group", "removed in MariaDB 10.6"),
    ("innodb_log_optimize_ddl", "removed in MariaDB 10.6"),
    ("innodb_page_cleaners", "removed in MariaDB 10.6"),
    ("innodb_replication_delay", "removed in MariaDB 10.6"),
    ("innodb_support_xa", "removed from MariaDB"),
    ("innodb_thread_concurrency", "removed in MariaDB 10.6"),
    ("innodb_thread_sleep_delay", "removed in MariaDB 10.6"),
    ("innodb_use_sys_malloc", "removed from MariaDB"),
    ("log", "removed; use general_log"),
    ("log_slow_queries", "removed; use slow_query_log"),
    ("storage_engine", "removed; use default_storage_engine"),
    ("table_cache", "removed; use table_open_cache"),
    ("thread_concurrency", "removed"),
];

/// How the server would take an option name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// A real option of this server.
    Yes,
    /// Under a plugin or component family; accepted without a check.
    Family(&'static str),
    /// Not an option of this server, with the reason when one is known.
    No(String),
}

fn listed(name: &str, list: &[&str]) -> bool {
    list.contains(&name)
}

fn removed(name: &str, list: &[(&str, &'static str)]) -> Option<&'static str> {
    list.iter().find(|(n, _)| *n == name).map(|(_, why)| *why)
}

/// Whether any flavour knows the name: used while reading option files,
/// before the flavour is settled, to decide whether `skip-x` is an option
/// of its own or `x` switched off.
pub fn known_to_any(name: &str) -> bool {
    listed(name, COMMON)
        || listed(name, MYSQL_ONLY)
        || listed(name, MARIADB_ONLY)
        || family(name, None).is_some()
}

fn family(name: &str, flavour: Option<Flavour>) -> Option<&'static str> {
    // Component variables are written `component.variable`
    // (`validate_password.length`): they exist once the component is
    // installed, which an option file does not show.
    if name.contains('.') {
        return Some("component variables");
    }
    FAMILIES
        .iter()
        .find(|(prefix, only)| {
            name.starts_with(prefix) && (flavour.is_none() || only.is_none() || *only == flavour)
        })
        .map(|(prefix, _)| *prefix)
}

/// Whether a server of this flavour and version accepts an option.
pub fn check(name: &str, server: &ServerInfo) -> Known {
    let in_common = listed(name, COMMON);
    match server.flavour {
        Some(Flavour::MySql) => {
            let at_84 = server.version.is_some_and(|v| v >= Version::new(8, 3, 0));
            if at_84 && let Some(why) = removed(name, MYSQL_REMOVED_84) {
                return Known::No(why.to_owned());
            }
            if in_common || listed(name, MYSQL_ONLY) {
                return Known::Yes;
            }
            if let Some(why) = removed(name, MYSQL_REMOVED_80) {
                return Known::No(why.to_owned());
            }
            if let Some(prefix) = family(name, Some(Flavour::MySql)) {
                return Known::Family(prefix);
            }
            if listed(name, MARIADB_ONLY) || family(name, Some(Flavour::MariaDb)).is_some() {
                return Known::No("a MariaDB option that MySQL does not have".to_owned());
            }
            Known::No(String::new())
        }
        Some(Flavour::MariaDb) => {
            if in_common || listed(name, MARIADB_ONLY) {
                return Known::Yes;
            }
            if let Some(why) = removed(name, MARIADB_REMOVED) {
                return Known::No(why.to_owned());
            }
            if let Some(prefix) = family(name, Some(Flavour::MariaDb)) {
                return Known::Family(prefix);
            }
            if listed(name, MYSQL_ONLY) || family(name, Some(Flavour::MySql)).is_some() {
                return Known::No("a MySQL option that MariaDB does not have".to_owned());
            }
            Known::No(String::new())
        }
        None => {
            if in_common || listed(name, MYSQL_ONLY) || listed(name, MARIADB_ONLY) {
                return Known::Yes;
            }
            if let Some(prefix) = family(name, None) {
                return Known::Family(prefix);
            }
            // Unknown flavour: only what both flavours refuse is certain.
            match (
                removed(name, MYSQL_REMOVED_80),
                removed(name, MARIADB_REMOVED),
            ) {
                (Some(mysql), Some(_)) => Known::No(format!("{mysql}, and removed from MariaDB")),
                _ => Known::No(String::new()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(flavour: Option<Flavour>, version: Option<Version>) -> ServerInfo {
        ServerInfo {
            flavour,
            version,
            basis: String::new(),
        }
    }

    #[test]
    fn the_lists_hold_no_duplicates_and_are_normalized() {
        for list in [COMMON, MYSQL_ONLY, MARIADB_ONLY] {
            for name in list {
                assert_eq!(
                    list.iter().filter(|n| *n == name).count(),
                    1,
                    "{name} twice"
                );
                assert!(
                    name.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{name}"
                );
            }
        }
        for name in MYSQL_ONLY {
            assert!(!COMMON.contains(name), "{name} is in COMMON and MYSQL_ONLY");
        }
        for name in MARIADB_ONLY {
            assert!(
                !COMMON.contains(name),
                "{name} is in COMMON and MARIADB_ONLY"
            );
        }
    }

    #[test]
    fn removed_options_are_refused_by_the_flavour_that_removed_them() {
        let mysql80 = server(Some(Flavour::MySql), Some(Version::new(8, 0, 36)));
        let mysql84 = server(Some(Flavour::MySql), Some(Version::new(8, 4, 0)));
        let mariadb = server(Some(Flavour::MariaDb), Some(Version::new(10, 11, 6)));
        assert!(matches!(check("query_cache_size", &mysql80), Known::No(_)));
        assert_eq!(check("query_cache_size", &mariadb), Known::Yes);
        assert_eq!(check("expire_logs_days", &mysql80), Known::Yes);
        assert!(matches!(check("expire_logs_days", &mysql84), Known::No(_)));
        assert!(matches!(
            check("innodb_buffer_pool_instances", &mariadb),
            Known::No(_)
        ));
        assert_eq!(check("wsrep_on", &mariadb), Known::Family("wsrep"));
        assert!(matches!(
            check("innodb_bufer_pool_size", &mysql80),
            Known::No(_)
        ));
        assert!(matches!(
            check("validate_password.length", &mysql80),
            Known::Family(_)
        ));
        assert!(matches!(
            check("innodb_file_format", &server(None, None)),
            Known::No(_)
        ));
    }
}
