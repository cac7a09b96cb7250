#!/usr/bin/env python3
"""Generate a realistic mysqldump-style Magento 2 dump of a given size (stdlib only).

    python3 bench/gen-dump.py --size 1G --out /tmp/m2.sql [--prefix m2_] [--oauth-rows 500000] [--gzip]

Layout follows `mysqldump --opt` (MariaDB client): header with conditional comments, then per
table DROP TABLE IF EXISTS / CREATE TABLE (KEY and CONSTRAINT lines) / LOCK TABLES /
ALTER TABLE DISABLE KEYS / extended INSERT lines of about --line-bytes / UNLOCK TABLES, a
trigger inside DELIMITER ;; … DELIMITER ;, and the trailer. The needed tables (admin_user,
core_config_data, store, store_website, authorization_rule, oauth_token) hold a few rows; the
size comes from catalog_product_entity_varchar, sales_order and url_rewrite, whose strings
contain quotes, backslashes, semicolons, `),(` and \\n escapes.
"""

import argparse
import gzip
import random
import re
import sys

HEADER = """/*M!999999\\- enable the sandbox mode */ 
-- MariaDB dump 10.19-11.4.2-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: magento
-- ------------------------------------------------------
-- Server version\t11.4.2-MariaDB-ubu2404

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
"""

TRAILER = """/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2024-06-03 12:00:00
"""

SCHEMAS = {
    "store_website": """  `website_id` smallint(5) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Website ID',
  `code` varchar(32) DEFAULT NULL COMMENT 'Code',
  `name` varchar(64) DEFAULT NULL COMMENT 'Website Name',
  `sort_order` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Sort Order',
  `default_group_id` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Default Group ID',
  `is_default` smallint(5) unsigned DEFAULT 0 COMMENT 'Defines Is Website Default',
  PRIMARY KEY (`website_id`),
  UNIQUE KEY `STORE_WEBSITE_CODE` (`code`),
  KEY `STORE_WEBSITE_SORT_ORDER` (`sort_order`),
  KEY `STORE_WEBSITE_DEFAULT_GROUP_ID` (`default_group_id`)""",
    "store": """  `store_id` smallint(5) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Store ID',
  `code` varchar(32) DEFAULT NULL COMMENT 'Code',
  `website_id` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Website ID',
  `group_id` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Group ID',
  `name` varchar(255) NOT NULL COMMENT 'Store Name',
  `sort_order` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Store Sort Order',
  `is_active` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Store Activity',
  PRIMARY KEY (`store_id`),
  UNIQUE KEY `STORE_CODE` (`code`),
  KEY `STORE_WEBSITE_ID` (`website_id`),
  KEY `STORE_IS_ACTIVE_SORT_ORDER` (`is_active`,`sort_order`),
  KEY `STORE_GROUP_ID` (`group_id`),
  CONSTRAINT `STORE_GROUP_ID_STORE_GROUP_GROUP_ID` FOREIGN KEY (`group_id`) REFERENCES `{p}store_group` (`group_id`) ON DELETE CASCADE,
  CONSTRAINT `STORE_WEBSITE_ID_STORE_WEBSITE_WEBSITE_ID` FOREIGN KEY (`website_id`) REFERENCES `{p}store_website` (`website_id`) ON DELETE CASCADE""",
    "admin_user": """  `user_id` int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'User ID',
  `firstname` varchar(32) DEFAULT NULL COMMENT 'User First Name',
  `lastname` varchar(32) DEFAULT NULL COMMENT 'User Last Name',
  `email` varchar(128) DEFAULT NULL COMMENT 'User Email',
  `username` varchar(40) DEFAULT NULL COMMENT 'User Login',
  `password` varchar(255) NOT NULL COMMENT 'User Password',
  `created` timestamp NOT NULL DEFAULT current_timestamp() COMMENT 'User Created Time',
  `modified` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp() COMMENT 'User Modified Time',
  `logdate` timestamp NULL DEFAULT NULL COMMENT 'User Last Login Time',
  `lognum` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'User Login Number',
  `is_active` smallint(6) NOT NULL DEFAULT 1 COMMENT 'User Is Active',
  `extra` mediumtext DEFAULT NULL COMMENT 'User Extra Data',
  `failures_num` smallint(6) DEFAULT 0 COMMENT 'Failure Number',
  `lock_expires` timestamp NULL DEFAULT NULL COMMENT 'Expiration Lock Dates',
  PRIMARY KEY (`user_id`),
  UNIQUE KEY `ADMIN_USER_USERNAME` (`username`)""",
    "core_config_data": """  `config_id` int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Config ID',
  `scope` varchar(8) NOT NULL DEFAULT 'default' COMMENT 'Config Scope',
  `scope_id` int(11) NOT NULL DEFAULT 0 COMMENT 'Config Scope ID',
  `path` varchar(255) NOT NULL DEFAULT 'general' COMMENT 'Config Path',
  `value` text DEFAULT NULL COMMENT 'Config Value',
  `updated_at` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp() COMMENT 'Updated At',
  PRIMARY KEY (`config_id`),
  UNIQUE KEY `CORE_CONFIG_DATA_SCOPE_SCOPE_ID_PATH` (`scope`,`scope_id`,`path`)""",
    "authorization_role": """  `role_id` int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Role ID',
  `parent_id` int(10) unsigned NOT NULL DEFAULT 0 COMMENT 'Parent Role ID',
  `tree_level` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Role Tree Level',
  `sort_order` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Role Sort Order',
  `role_type` varchar(1) NOT NULL DEFAULT '0' COMMENT 'Role Type',
  `user_id` int(10) unsigned NOT NULL DEFAULT 0 COMMENT 'User ID',
  `user_type` varchar(16) DEFAULT NULL COMMENT 'User Type',
  `role_name` varchar(50) DEFAULT NULL COMMENT 'Role Name',
  PRIMARY KEY (`role_id`),
  KEY `AUTHORIZATION_ROLE_PARENT_ID_SORT_ORDER` (`parent_id`,`sort_order`),
  KEY `AUTHORIZATION_ROLE_TREE_LEVEL` (`tree_level`)""",
    "authorization_rule": """  `rule_id` int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Rule ID',
  `role_id` int(10) unsigned NOT NULL DEFAULT 0 COMMENT 'Role ID',
  `resource_id` varchar(255) DEFAULT NULL COMMENT 'Resource ID',
  `privileges` varchar(20) DEFAULT NULL COMMENT 'Privileges',
  `permission` varchar(10) DEFAULT NULL COMMENT 'Permission',
  PRIMARY KEY (`rule_id`),
  KEY `AUTHORIZATION_RULE_RESOURCE_ID_ROLE_ID` (`resource_id`,`role_id`),
  KEY `AUTHORIZATION_RULE_ROLE_ID_RESOURCE_ID` (`role_id`,`resource_id`)""",
    "oauth_token": """  `entity_id` int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Entity ID',
  `consumer_id` int(10) unsigned DEFAULT NULL COMMENT 'Oauth Consumer ID',
  `admin_id` int(10) unsigned DEFAULT NULL COMMENT 'Admin user ID',
  `customer_id` int(10) unsigned DEFAULT NULL COMMENT 'Customer user ID',
  `type` varchar(16) NOT NULL COMMENT 'Token Type',
  `token` varchar(32) NOT NULL COMMENT 'Token',
  `secret` varchar(128) NOT NULL COMMENT 'Token Secret',
  `verifier` varchar(32) DEFAULT NULL COMMENT 'Token Verifier',
  `callback_url` text NOT NULL COMMENT 'Token Callback URL',
  `revoked` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Is Token revoked',
  `authorized` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Is Token authorized',
  `user_type` int(11) DEFAULT NULL COMMENT 'User type',
  `created_at` timestamp NOT NULL DEFAULT current_timestamp() COMMENT 'Token creation timestamp',
  PRIMARY KEY (`entity_id`),
  UNIQUE KEY `OAUTH_TOKEN_TOKEN` (`token`),
  KEY `OAUTH_TOKEN_CONSUMER_ID` (`consumer_id`),
  KEY `OAUTH_TOKEN_CREATED_AT` (`created_at`),
  CONSTRAINT `OAUTH_TOKEN_ADMIN_ID_ADMIN_USER_USER_ID` FOREIGN KEY (`admin_id`) REFERENCES `{p}admin_user` (`user_id`) ON DELETE CASCADE""",
    "catalog_product_entity_varchar": """  `value_id` int(11) NOT NULL AUTO_INCREMENT COMMENT 'Value ID',
  `attribute_id` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Attribute ID',
  `store_id` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Store ID',
  `entity_id` int(10) unsigned NOT NULL DEFAULT 0 COMMENT 'Entity ID',
  `value` varchar(255) DEFAULT NULL COMMENT 'Value',
  PRIMARY KEY (`value_id`),
  UNIQUE KEY `CATALOG_PRODUCT_ENTITY_VARCHAR_ENTITY_ID_ATTRIBUTE_ID_STORE_ID` (`entity_id`,`attribute_id`,`store_id`),
  KEY `CATALOG_PRODUCT_ENTITY_VARCHAR_ATTRIBUTE_ID` (`attribute_id`),
  KEY `CATALOG_PRODUCT_ENTITY_VARCHAR_STORE_ID` (`store_id`),
  CONSTRAINT `CATALOG_PRODUCT_ENTITY_VARCHAR_STORE_ID_STORE_STORE_ID` FOREIGN KEY (`store_id`) REFERENCES `{p}store` (`store_id`) ON DELETE CASCADE""",
    "sales_order": """  `entity_id` int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Entity ID',
  `state` varchar(32) DEFAULT NULL COMMENT 'State',
  `status` varchar(32) DEFAULT NULL COMMENT 'Status',
  `store_id` smallint(5) unsigned DEFAULT NULL COMMENT 'Store ID',
  `customer_id` int(10) unsigned DEFAULT NULL COMMENT 'Customer ID',
  `base_grand_total` decimal(20,4) DEFAULT NULL COMMENT 'Base Grand Total',
  `grand_total` decimal(20,4) DEFAULT NULL COMMENT 'Grand Total',
  `customer_email` varchar(128) DEFAULT NULL COMMENT 'Customer Email',
  `customer_firstname` varchar(128) DEFAULT NULL COMMENT 'Customer Firstname',
  `customer_note` text DEFAULT NULL COMMENT 'Customer Note',
  `increment_id` varchar(50) DEFAULT NULL COMMENT 'Increment ID',
  `created_at` timestamp NOT NULL DEFAULT current_timestamp() COMMENT 'Created At',
  PRIMARY KEY (`entity_id`),
  UNIQUE KEY `SALES_ORDER_INCREMENT_ID_STORE_ID` (`increment_id`,`store_id`),
  KEY `SALES_ORDER_STATUS` (`status`),
  KEY `SALES_ORDER_CREATED_AT` (`created_at`),
  CONSTRAINT `SALES_ORDER_STORE_ID_STORE_STORE_ID` FOREIGN KEY (`store_id`) REFERENCES `{p}store` (`store_id`) ON DELETE SET NULL""",
    "url_rewrite": """  `url_rewrite_id` int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Rewrite ID',
  `entity_type` varchar(32) NOT NULL COMMENT 'Entity type code',
  `entity_id` int(10) unsigned NOT NULL COMMENT 'Entity ID',
  `request_path` varchar(255) DEFAULT NULL COMMENT 'Request Path',
  `target_path` varchar(255) DEFAULT NULL COMMENT 'Target Path',
  `redirect_type` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Redirect Type',
  `store_id` smallint(5) unsigned NOT NULL COMMENT 'Store ID',
  `description` varchar(255) DEFAULT NULL COMMENT 'Description',
  `is_autogenerated` smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Is rewrite generated automatically flag',
  `metadata` varchar(255) DEFAULT NULL COMMENT 'Meta data for url rewrite',
  PRIMARY KEY (`url_rewrite_id`),
  UNIQUE KEY `URL_REWRITE_REQUEST_PATH_STORE_ID` (`request_path`,`store_id`),
  KEY `URL_REWRITE_TARGET_PATH` (`target_path`),
  KEY `URL_REWRITE_STORE_ID_ENTITY_ID` (`store_id`,`entity_id`)""",
}

WORDS = ("Joust Duffle Bag", "Strive Shoulder Pack", "Crown Summit Backpack", "Wayfarer Messenger",
         "Rival Field", "Push It", "Overnight Duffle", "Driven Backpack", "Endeavor Daytrip",
         "Savvy Shoulder Tote", "Compete Track Tote", "Voyage Yoga Bag", "Fusion Backpack")
NASTY = ("it\\'s", "a \\\"quoted\\\" word", "back\\\\slash", "semi;colon", "),(", "line\\nbreak",
         "tab\\there", "caf\u00e9", "\u65e5\u672c\u8a9e", "50% off", "--not a comment", "/* nor this */",
         "''doubled''", "C:\\\\path\\\\to", "x\\r\\ny", "\\0nul")


def esc_line(rng, n_words):
    parts = []
    for _ in range(n_words):
        parts.append(rng.choice(NASTY) if rng.random() < 0.3 else rng.choice(WORDS))
    return " ".join(parts)


def row_cpev(rng, i):
    return "(%d,%d,%d,%d,'%s')" % (i, rng.randint(60, 140), rng.choice((0, 0, 1, 2)), i // 7 + 1, esc_line(rng, rng.randint(1, 4)))


def row_sales(rng, i):
    total = rng.randint(100, 99999999) / 10000
    note = "NULL" if rng.random() < 0.6 else "'%s'" % esc_line(rng, rng.randint(2, 12))
    return "(%d,'complete','complete',1,%s,%.4f,%.4f,'customer%d@example.com','%s',%s,'%09d','2024-%02d-%02d %02d:%02d:%02d')" % (
        i, "NULL" if rng.random() < 0.3 else str(rng.randint(1, 90000)), total, total, i,
        rng.choice(("Ada", "O\\'Brien", "Zo\u00eb", "Li")), note, i, rng.randint(1, 12), rng.randint(1, 28),
        rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))


def row_url(rng, i):
    slug = "-".join(w for w in re.split(r"[^a-z0-9]+", esc_line(rng, 2).lower()) if w)
    return "(%d,'product',%d,'%s-%d.html','catalog/product/view/id/%d',0,1,NULL,1,%s)" % (
        i, i, slug[:150], i, i, "NULL" if rng.random() < 0.8 else "'{\\\"category_id\\\":\\\"%d\\\"}'" % rng.randint(2, 40))


BIG = (("catalog_product_entity_varchar", row_cpev, 5), ("sales_order", row_sales, 2), ("url_rewrite", row_url, 3))


def small_rows(oauth_rows):
    yield "store_website", ["(0,'admin','Admin',0,0,0)", "(1,'base','Main Website',0,1,1)"]
    yield "store", ["(0,'admin',0,0,'Admin',0,1)", "(1,'default',1,1,'Default Store View',0,1)"]
    yield "admin_user", [
        "(1,'Ada','Lovelace','ada@example.com','admin','8e1d2b0a0f:3:{\\\"x\\\":1}','2024-01-02 03:04:05','2024-05-06 07:08:09','2024-05-06 07:08:09',42,1,'{\\\"configState\\\":[]}',0,NULL)",
        "(2,'O\\'Brien','Semi;colon','ob@example.com','api','hash\\\\x','2024-01-02 03:04:05','2024-01-02 03:04:05',NULL,0,0,NULL,3,'2038-01-19 03:14:07')",
    ]
    yield "core_config_data", [
        "(1,'default',0,'web/secure/base_url','https://shop.example.com/','2024-01-01 00:00:00')",
        "(2,'default',0,'oauth/consumer/enable_integration_as_bearer','1','2024-01-01 00:00:00')",
        "(3,'default',0,'oauth/access_token_lifetime/admin','4','2024-01-01 00:00:00')",
    ]
    yield "authorization_role", [
        "(1,0,1,1,'G',0,'2','Administrators')",
        "(2,0,1,2,'G',0,'2','Catalog editors')",
        "(3,1,2,0,'U',1,'2','admin')",
        "(4,2,2,0,'U',2,'2','api')",
    ]
    editor = ["Magento_Backend::admin", "Magento_Catalog::catalog", "Magento_Catalog::catalog_inventory",
              "Magento_Catalog::products", "Magento_Cms::page", "Magento_Sales::sales"]
    denied = ["Magento_Backend::all", "Magento_Customer::customer", "Magento_Sales::actions", "Magento_Cart::cart"]
    # The REST APIs of the first 12 extensions of bench/gen-store.py (Vendor<i % 9>_Extension<i>):
    # role 2 gets all of a third of them, part of another third, none of the rest; as the admin
    # role editor saves it, every resource not granted gets its own deny row.
    for i in range(12):  # API_MODULES of bench/gen-store.py
        ext = "Vendor%d_Extension%d" % (i % 9, i)
        granted = (("extension", "items", "rules", "logs", "settings"), ("extension", "items", "logs"), ())[i % 3]
        for r in ("extension", "items", "rules", "logs", "settings"):
            (editor if r in granted else denied).append("%s::%s" % (ext, r))
    rules = ["(1,1,'Magento_Backend::all','','allow')"]
    rules += ["(%d,2,'%s','','allow')" % (i + 2, r) for i, r in enumerate(editor)]
    rules += ["(%d,2,'%s','','deny')" % (i + 2 + len(editor), r) for i, r in enumerate(denied)]
    yield "authorization_rule", rules
    n = max(oauth_rows, 2)
    yield "oauth_token", ["(%d,NULL,%s,%s,'access','%032x','%032x',NULL,'',%d,1,%d,'2024-06-01 10:00:00')" % (
        i, "1" if i % 2 else "NULL", "NULL" if i % 2 else str(i), i, i * 7919, i % 5 == 0, 2 if i % 2 else 3)
        for i in range(1, n + 1)]


def table_block(p, name, lines):
    out = ["\n--\n-- Table structure for table `%s%s`\n--\n\n" % (p, name),
           "DROP TABLE IF EXISTS `%s%s`;\n" % (p, name),
           "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n",
           "/*!40101 SET character_set_client = utf8mb4 */;\n",
           "CREATE TABLE `%s%s` (\n%s\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;\n" % (
               p, name, SCHEMAS[name].replace("{p}", p)),
           "/*!40101 SET character_set_client = @saved_cs_client */;\n",
           "\n--\n-- Dumping data for table `%s%s`\n--\n\n" % (p, name),
           "LOCK TABLES `%s%s` WRITE;\n" % (p, name),
           "/*!40000 ALTER TABLE `%s%s` DISABLE KEYS */;\n" % (p, name)]
    return "".join(out), lines, "/*!40000 ALTER TABLE `%s%s` ENABLE KEYS */;\nUNLOCK TABLES;\n" % (p, name)


def insert_lines(p, name, rows, line_bytes):
    cur, size = [], 0
    for r in rows:
        cur.append(r)
        size += len(r) + 1
        if size >= line_bytes:
            yield "INSERT INTO `%s%s` VALUES %s;\n" % (p, name, ",".join(cur))
            cur, size = [], 0
    if cur:
        yield "INSERT INTO `%s%s` VALUES %s;\n" % (p, name, ",".join(cur))


TRIGGER = """/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`magento`@`localhost`*/ /*!50003 TRIGGER trg_{p}catalog_product_entity_varchar_after_insert AFTER INSERT ON `{p}catalog_product_entity_varchar` FOR EACH ROW
BEGIN
INSERT IGNORE INTO `{p}catalog_product_entity_cl` (`entity_id`) VALUES (NEW.`entity_id`);
END */;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
/*!50003 SET character_set_client  = @saved_cs_client */ ;
"""


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * mult[s[-1].upper()]) if s[-1].upper() in mult else int(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="100M", help="approximate output size (SQL bytes), e.g. 1G, 300M")
    ap.add_argument("--out", default="-", help="output file (default stdout)")
    ap.add_argument("--prefix", default="", help="table prefix")
    ap.add_argument("--line-bytes", type=int, default=1 << 20, help="bytes per extended INSERT line")
    ap.add_argument("--oauth-rows", type=int, default=3, help="rows in oauth_token (kept table)")
    ap.add_argument("--gzip", action="store_true", help="gzip the output")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    target, p, rng = parse_size(a.size), a.prefix, random.Random(a.seed)

    raw = sys.stdout.buffer if a.out == "-" else open(a.out, "wb")
    out = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) if a.gzip else raw
    written = 0

    def w(s):
        nonlocal written
        b = s.encode("utf-8")
        out.write(b)
        written += len(b)

    def small(name, rows):
        head, _, tail = table_block(p, name, None)
        w(head)
        for line in insert_lines(p, name, rows, a.line_bytes):
            w(line)
        w(tail)

    w(HEADER)
    smalls = list(small_rows(a.oauth_rows))
    # oauth_token comes after the big tables (alphabetical order would put it between them):
    # finding its rows proves the reader kept in step through them.
    for name, rows in smalls[:-1]:
        small(name, rows)

    # Big tables share the remaining size; a few distinct lines per table are generated and
    # repeated (ids repeat too: the reader does not care, and Python stays fast).
    share = max(target - written - 4096 - a.oauth_rows * 130, 0) // len(BIG)
    for name, make_row, _ in BIG:
        head, _, tail = table_block(p, name, None)
        w(head)
        pool, i = [], 1
        while len(pool) < 8 and sum(len(x) for x in pool) < share:
            rows = []
            size = 0
            while size < min(a.line_bytes, share):
                r = make_row(rng, i)
                rows.append(r)
                size += len(r) + 1
                i += 1
            pool.append(("INSERT INTO `%s%s` VALUES %s;\n" % (p, name, ",".join(rows))).encode("utf-8"))
        done, k = 0, 0
        while pool and done < share:
            line = pool[k % len(pool)]
            out.write(line)
            written += len(line)
            done += len(line)
            k += 1
        w(tail)
        if name == "catalog_product_entity_varchar":
            w(TRIGGER.replace("{p}", p))
    small(*smalls[-1])
    w(TRAILER)
    if a.gzip:
        out.close()
    if raw is not sys.stdout.buffer:
        raw.close()
    print("wrote %d SQL bytes" % written, file=sys.stderr)


if __name__ == "__main__":
    main()
