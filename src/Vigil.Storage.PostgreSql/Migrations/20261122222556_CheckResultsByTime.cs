using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Vigil.Storage.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class CheckResultsByTime : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_check_results_at",
                table: "check_results",
                column: "at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_check_results_at",
                table: "check_results");
        }
    }
}
